/**
 * `down`: runs down sections, newest first, one migration or back to a version, each in its own
 * transaction (unless marked `transaction:false`) with its history row deleted in the same
 * transaction. Destructive, so refused on staging and prod.
 */
import { currentOperator, PROTECTED_ENVIRONMENTS } from "../env/environment";
import { runOutsideTransaction, runTransactional, type Unit } from "./apply";
import { appliedFileName, listMigrations, type MigrationFile, readMigration, type Section } from "./files";
import { guardTarget } from "./guard";
import { forgetSql, readHistoryRows } from "./history";
import { actAs, describeConnection, withAdvisoryLock, withClient } from "./pg";
import { assertNoProblems, lineEndingsProblem } from "./reconcile";
import { refuseStatements } from "./refused-statements";
import { type MigrateOptions, resolveSettings } from "./settings";
import { compareVersions, newestOf, oldestFirst } from "./versions";

export interface DownOptions extends MigrateOptions {
  /** Roll back every migration newer than this version ("0" for all). Default: only the newest. */
  readonly to?: string;
}

export interface RolledBack {
  readonly version: string;
  readonly name: string;
  readonly durationMs: number;
}

export interface DownResult {
  readonly environment: string;
  readonly target: string;
  readonly rolledBack: readonly RolledBack[];
}

/** Rolls back the newest migration, or every one newer than `to`. */
export async function down(options: DownOptions): Promise<DownResult> {
  const s = resolveSettings({ ...options, backup: false }, currentOperator);
  guardTarget(s, "roll back migrations");
  if (PROTECTED_ENVIRONMENTS.includes(s.environment)) {
    throw new Error(
      `Refusing to run down migrations on ${s.environment}: destructive operations are only allowed on dev and test. ` +
        `On ${s.environment}, undo a change with a new forward migration (precog-db new <name>).`,
    );
  }
  const to = options.to;
  if (to !== undefined && !/^\d+$/.test(to)) throw new Error(`down --to "${to}" is not a version number.`);
  const target = describeConnection(s.connection);
  const refs = listMigrations(s.dir);
  return withClient(s.connection, s.applicationName, (client) =>
    withAdvisoryLock(
      client,
      s.lockWaitMs,
      async () => {
        if (s.ownerRole) await actAs(client, s.ownerRole, target);
        const history = await readHistoryRows(client);
        const newest = newestOf(history, (h) => h.order);
        // --to 0 means all, a version-0 migration included.
        const chosen =
          to === undefined
            ? newest === undefined
              ? []
              : [newest]
            : compareVersions(to, 0n) === 0
              ? history
              : history.filter((h) => compareVersions(h.order, to) > 0);
        const steps: { file: MigrationFile; down: Section }[] = [];
        const problems: string[] = [];
        // Newest first.
        for (const row of oldestFirst(chosen, (h) => h.order).reverse()) {
          const ref = refs.find((r) => r.order === row.order);
          if (!ref) {
            problems.push(
              `${appliedFileName(row.version, row.name, refs)} is applied but its file is missing from ${s.dir}: restore it to roll it back.`,
            );
            continue;
          }
          const file = readMigration(ref);
          const lineEndings =
            file.checksum === row.checksum ? undefined : lineEndingsProblem(ref, row.checksum, s.environment);
          if (lineEndings) problems.push(lineEndings);
          else if (file.checksum !== row.checksum)
            problems.push(
              `${file.filename} changed after it was applied: its down section may not undo what was applied; restore the applied version first.`,
            );
          else if (!file.down || file.down.sql.trim() === "")
            problems.push(`${file.filename} has no -- migrate:down section to run.`);
          else steps.push({ file, down: file.down });
        }
        assertNoProblems(problems, `Cannot roll back on ${target} (${s.environment})`);
        await refuseStatements(
          steps.map((x) => x.file),
          "down",
        );
        const rolledBack: RolledBack[] = [];
        for (const [i, { file: f, down }] of steps.entries()) {
          s.log({ type: "applying", version: f.version, name: f.name, index: i + 1, total: steps.length, count: 1 });
          const unit: Unit = { file: f, which: "down", section: down, bookkeeping: () => forgetSql(f.order) };
          const started = performance.now();
          const { failure } = down.options.transaction
            ? await runTransactional(client, [unit], s, rolledBack.length)
            : await runOutsideTransaction(client, unit, s);
          if (failure) throw failure;
          const durationMs = Math.round(performance.now() - started);
          rolledBack.push({ version: f.version, name: f.name, durationMs });
          s.log({ type: "applied", version: f.version, name: f.name, durationMs, index: i + 1, total: steps.length });
        }
        return { environment: s.environment, target, rolledBack };
      },
      (message) => s.log({ type: "info", message }),
    ),
  );
}
