/**
 * The component's lint of the pending files, in the program: warnings in the preview, and on
 * staging and prod an error for a finding not approved in its file, already at preview.
 *
 * Only in a preview (`pulumi preview`, and the preview `pulumi up` starts with): the update that
 * follows would lint the same files again, and its apply goes through the engine, whose own lint
 * refuses the same findings under the migration lock on staging and prod (`MigrateOptions.lint`,
 * on there by default), as `precog-db migrate` does. `pulumi up --skip-preview` thus skips the
 * warnings along with the preview.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../src/env/environment";
import { type LintFinding, lint, type MigrationFileSum } from "../../src/migrate";

export interface PendingLint {
  readonly dir: string;
  readonly environment: Environment;
  readonly pending: readonly MigrationFileSum[];
  /** True in a preview (`pulumi.runtime.isDryRun()`): only then are the files linted. */
  readonly preview: boolean;
  readonly log: { info(message: string): void; warn(message: string): void };
}

/** Logs what is pending and, in a preview, its findings; throws a RunError listing the errors. */
export async function lintPending(o: PendingLint): Promise<void> {
  if (o.pending.length === 0) return;
  o.log.info(`pending migrations: ${o.pending.map((f) => f.filename).join(", ")}`);
  if (!o.preview) return;
  const report = await lint(o.dir, { environment: o.environment, only: o.pending.map((f) => f.filename) });
  const line = (f: LintFinding) => `${f.filename}:${f.line}:${f.column} ${f.rule}: ${f.message} (${f.statement})`;
  for (const f of report.findings) if (f.severity === "warning") o.log.warn(line(f));
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new pulumi.RunError(
      `Lint refuses ${errors.length} finding(s) in pending migrations on ${o.environment}; fix each, or approve it in its file ` +
        `with "-- lint:approve <rule>: <reason>":\n${errors.map((f) => `  - ${line(f)}`).join("\n")}`,
    );
  }
}
