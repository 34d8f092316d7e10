/**
 * The lint of the pending files, in the provider's check and diff (./pending.ts): warnings
 * in previews, and on staging and prod an error for a finding not approved in its file, already at
 * preview.
 *
 * On dev and test only in a preview (`pulumi preview`, and the preview `pulumi up` starts with):
 * there findings are warnings, which the update that follows would print a second time, and the
 * apply does not lint (as `precog-db migrate` does not). On staging and prod the update lints
 * again, so that a refused finding stops it before the provider takes its RDS snapshot, even with
 * `pulumi up --skip-preview` (the engine's own lint would refuse it too, but only after that).
 */
import { type Environment, PROTECTED_ENVIRONMENTS } from "../../../src/env/environment";
import { type LintFinding, lint } from "../../../src/migrate";
import type { ResourceLog } from "./engine-log";

export interface PendingLint {
  readonly dir: string;
  readonly environment: Environment;
  /** The pending files' names, in version order. */
  readonly pending: readonly string[];
  /** True in a preview: only then are dev's and test's files linted. */
  readonly preview: boolean;
  readonly log: ResourceLog;
}

/** Logs what is pending and its findings (see above for when); throws an error listing the refused ones. */
export async function lintPending(o: PendingLint): Promise<void> {
  if (o.pending.length === 0) return;
  await o.log.info(`pending migrations: ${o.pending.join(", ")}`);
  if (!o.preview && !PROTECTED_ENVIRONMENTS.includes(o.environment)) return;
  const report = await lint(o.dir, { environment: o.environment, only: o.pending });
  const line = (f: LintFinding) => `${f.filename}:${f.line}:${f.column} ${f.rule}: ${f.message} (${f.statement})`;
  for (const f of report.findings) if (f.severity === "warning") await o.log.warn(line(f));
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `Lint refuses ${errors.length} finding(s) in pending migrations on ${o.environment}; fix each, or approve it in its file ` +
        `with "-- lint:approve <rule>: <reason>":\n${errors.map((f) => `  - ${line(f)}`).join("\n")}`,
    );
  }
}
