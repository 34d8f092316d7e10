/**
 * The lint of the pending files (./pending.ts): warnings on dev and test, in previews, and on
 * staging and prod an error for a finding not approved in its file, in the diff of previews and
 * updates alike, so already at preview.
 *
 * On staging and prod in the diff because the provider cannot tell a preview from an update there:
 * the engine's Check and Diff requests do not say which (only Create and Update do, which the
 * plugin's previews of them answer: ./previews.ts), and a program's flag in the inputs would differ
 * between a saved plan's preview and the `up --plan` that applies it. So a refused finding stops the
 * update at its diff, before the provider logs in, even with `pulumi up --skip-preview` (the
 * engine's own lint refuses it too, later: under its lock, before the RDS snapshot). On dev and
 * test, where nothing is refused, only the previews lint (in the preview of the resource's create
 * or update): the update after a preview does not lint again, and neither does an `up
 * --skip-preview`, as `precog-db migrate` does not lint there, which keeps the parser's cost out
 * of each migration applied.
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

/** Logs the pending files' findings; throws an error listing the refused ones (staging, prod). */
export async function lintPending(o: PendingLint): Promise<void> {
  if (o.pending.length === 0) return;
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
