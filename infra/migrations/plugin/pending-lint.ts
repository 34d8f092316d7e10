/**
 * The lint of the pending files, in the provider's check and diff (./pending.ts), in previews and
 * updates alike: warnings on dev and test, and on staging and prod an error for a finding not
 * approved in its file, already at preview.
 *
 * Previews and updates alike because the provider cannot tell them apart there: the engine's
 * Check and Diff requests do not say which (only Create and Update do, to a provider that
 * implements previews of them), and a program's flag in the inputs would differ between a saved
 * plan's preview and the `up --plan` that applies it. So the update that follows a preview prints
 * dev's and test's warnings a second time. On staging and prod the update's lint makes a refused
 * finding stop it before the provider takes its RDS snapshot, even with `pulumi up --skip-preview`
 * (the engine's own lint would refuse it too, but only after that); the apply itself does not lint
 * dev and test, as `precog-db migrate` does not.
 */
import type { Environment } from "../../../src/env/environment";
import { type LintFinding, lint } from "../../../src/migrate";
import type { ResourceLog } from "./engine-log";

export interface PendingLint {
  readonly dir: string;
  readonly environment: Environment;
  /** The pending files' names, in version order. */
  readonly pending: readonly string[];
  readonly log: ResourceLog;
}

/** Logs what is pending and its findings; throws an error listing the refused ones (staging, prod). */
export async function lintPending(o: PendingLint): Promise<void> {
  if (o.pending.length === 0) return;
  await o.log.info(`pending migrations: ${o.pending.join(", ")}`);
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
