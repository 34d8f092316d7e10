/**
 * `migrate`: the runner every environment's schema changes go through. Reads top to bottom, one
 * numbered step each: scan the files and connect side by side, compare with the history (the
 * no-op run stops here), lock, re-check, read the pending files, lint, back up, apply and record;
 * the lock and the connection are released on every path.
 */
import type { Client } from "pg";
import { currentOperator } from "../env/environment";
import type { Unit, UnitDone } from "./apply";
import type { MigrationFile, MigrationRef } from "./files";
import { guardTarget } from "./guard";
import {
  type AppliedRow,
  ensureHistoryTable,
  readHistoryDigest,
  readHistoryRows,
  readHistorySummary,
  recordSql,
} from "./history";
import { changedSinceRead, type LedgerSummary, summaryOf } from "./ledger-summary";
import { actAs, describeConnection, openSession, withAdvisoryLock } from "./pg";
import type { Reconciled } from "./reconcile";
import { type Scan, scanFolder } from "./scan";
import { type MigrateOptions, resolveSettings, type Settings } from "./settings";
import { cancellable, stoppedError, stopReason, tracked } from "./stop";

/** One migration `migrate` applied. */
export interface AppliedMigration {
  readonly version: string;
  readonly name: string;
  /** sha256 hex of the up section, as recorded in the history table. */
  readonly checksum: string;
  readonly durationMs: number;
  readonly transactional: boolean;
}

export interface MigrateResult {
  readonly environment: string;
  /** `user@host:port/database`, no password. */
  readonly target: string;
  /** In the order applied; empty when the database was up to date. */
  readonly applied: readonly AppliedMigration[];
  /** The pg_dump file written before applying, if any. */
  readonly backupFile?: string;
  /** The summary of the history as the run leaves it: only with `returnSummary`. */
  readonly summary?: LedgerSummary;
}

/** Applies every pending migration in version order. Throws on any problem, after reporting it. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const s = resolveSettings(options, currentOperator);
  guardTarget(s, "apply migrations");
  const target = describeConnection(s.connection);
  const where = `${target} (${s.environment})`;
  const session = openSession(s.connection, s.applicationName);
  /**
   * `history`: the rows just read on this connection, if any; otherwise (with `returnSummary`) the
   * server sums the table up, one row whatever its length.
   */
  const result = async (
    applied: AppliedMigration[],
    backupFile?: string,
    history?: readonly AppliedRow[],
  ): Promise<MigrateResult> => ({
    environment: s.environment,
    target,
    applied,
    backupFile,
    ...(s.returnSummary ? { summary: history ? summaryOf(history) : await readHistorySummary(session.client) } : {}),
  });
  const upToDate = (count: number, history?: readonly AppliedRow[]) => {
    s.log({ type: "info", message: `${where} is up to date: ${count} migration(s) applied.` });
    return result([], undefined, history);
  };

  try {
    // 1. Scan the files and connect, side by side. The history's digest is asked for at once: pg
    //    sends it the moment the handshake ends, and the server answers it while the scan runs.
    const [scan, digest] = await sideBySide(
      scanFolder(s.dir, s.checksumCache),
      s.targetVersion === undefined ? session.early(readHistoryDigest) : session.ready.then(() => null),
    );
    //    A folder that is not the one the caller read (expectFiles) is refused here, before the
    //    lock, the backup or the caller's beforeApply.
    const changed = s.expectFiles && changedSinceRead(s.dir, s.expectFiles, scan.files);
    if (changed) throw new Error(changed);
    // 2. Compare, without the lock: "nothing pending" is safe to answer from committed history,
    //    and nearly every run gets that answer from the one-row digest (all applied, unchanged).
    if (digest && digest.count === scan.refs.length && digest.digest === scan.digest)
      return await upToDate(digest.count);
    const seen = await compare(session.client, scan, s, where);
    if (seen.pending.length === 0) return await upToDate(seen.state.applied.length, seen.history);

    // 3. Lock.
    return await withAdvisoryLock(
      session.client,
      s.lockWaitMs,
      async () => {
        // As the owner role from here on: the history table, and each migration (apply.ts sets it again).
        if (s.ownerRole) await actAs(session.client, s.ownerRole, target);
        await ensureHistoryTable(session.client);
        // 4. Re-check: another runner may have applied some while we waited for the lock.
        const { state, pending, history } = await compare(session.client, scan, s, where);
        if (pending.length === 0) return upToDate(state.applied.length, history);
        // 5. Read the pending files, and only those; refuse any outside the allowed set.
        const files = pending.map(scan.read);
        // Loaded here: it may need the parser, and only files about to run are checked.
        await (await import("./refused-statements")).refuseStatements(files, "up");
        const { allowedProblems, assertNoProblems } = await import("./reconcile");
        assertNoProblems(
          allowedProblems(files, s.allowed),
          `Refusing to migrate ${s.environment}: pending migrations outside the allowed set`,
        );
        // 6. Lint.
        if (s.lint) await enforceLint(scan, files, s);
        // 7. Back up (and the caller's own step, `beforeApply`).
        const backupFile =
          s.backup && s.backupDir
            ? await backupFirst(s, s.backupDir, state.newest?.version ?? "0", files[files.length - 1].version)
            : undefined;
        if (s.beforeApply) await s.beforeApply(files.map((f) => ({ version: f.version, name: f.name })));
        // 8. Apply and record: a transactional migration's history row is written in its own transaction.
        const applied = await applyAll(session.client, files, s);
        s.log({ type: "info", message: `Applied ${applied.length} migration(s) to ${where}.` });
        return result(applied, backupFile);
      },
      (message) => s.log({ type: "info", message }),
    );
  } finally {
    // Everything above has had its answer (the lock is released): nothing waits on the close.
    session.release();
  }
}

/**
 * Both results, or an error: the local one first when both fail, as a bad migrations folder is the
 * clearer report (and a connection problem would only hide it until the next run).
 */
async function sideBySide<A, B>(local: Promise<A>, remote: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([local, remote]);
  if (a.status === "rejected") throw a.reason;
  if (b.status === "rejected") throw b.reason;
  return [a.value, b.value];
}

/**
 * History against the files: every problem at once, or what is pending (up to the target version),
 * with the history rows read (the result's summary when nothing is pending).
 */
async function compare(
  client: Client,
  scan: Scan,
  s: Settings,
  where: string,
): Promise<{ state: Reconciled; pending: MigrationRef[]; history: AppliedRow[] }> {
  // Loaded here: the no-op run's answer comes from the digest, before any comparison.
  const { assertNoProblems, pendingUpTo, reconcile } = await import("./reconcile");
  const history = await readHistoryRows(client);
  const state = reconcile({
    refs: scan.refs,
    history,
    checksumOf: scan.checksumOf,
    dir: s.dir,
    environment: s.environment,
    allowOutOfOrder: s.allowOutOfOrder,
  });
  assertNoProblems(state.problems, `Cannot migrate ${where}`);
  return { state, pending: pendingUpTo(state.pending, s.targetVersion), history };
}

async function enforceLint(scan: Scan, pending: readonly MigrationFile[], s: Settings): Promise<void> {
  // Loaded here: the parser is WebAssembly and only runs when there is something to apply.
  const { lintFiles, formatFindings, withEarlierFiles } = await import("./lint");
  // The pending files, judged against what the applied ones built (their columns' old types).
  const { files, report: chosen } = withEarlierFiles(scan.refs, pending, scan.read);
  const report = await lintFiles(files, { environment: s.environment, lockTimeout: s.lockTimeout, report: chosen });
  for (const f of report.findings.filter((x) => x.severity !== "error"))
    s.log({ type: "warn", message: formatFindings([f]) });
  for (const n of report.notes) s.log({ type: "info", message: formatFindings([n]) });
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `Refusing to migrate ${s.environment}: lint found ${errors.length} error(s) in pending migrations:\n${formatFindings(errors)}\n` +
        `Make the change safely, or approve it in the file with a reason: -- lint:approve <rule>: <why this is safe>`,
    );
  }
}

async function backupFirst(s: Settings, dir: string, from: string, to: string): Promise<string> {
  const { backupDatabase } = await import("./backup");
  s.log({ type: "info", message: `Backing up ${describeConnection(s.connection)} before applying...` });
  const file = await backupDatabase({
    connection: s.connection,
    dir,
    environment: s.environment,
    fromVersion: from,
    toVersion: to,
    pgDump: s.pgDump,
  });
  s.log({ type: "info", message: `Backup written: ${file}` });
  return file;
}

/** Applies files in order: runs of transactional ones batched, the others one by one. */
async function applyAll(client: Client, files: readonly MigrationFile[], s: Settings): Promise<AppliedMigration[]> {
  // Loaded here, with the error reporting and the SQL scanner behind it: a no-op run needs none of it.
  const { runOutsideTransaction, runTransactional } = await import("./apply");
  const applied: AppliedMigration[] = [];
  const total = files.length;
  const unit = (f: MigrationFile): Unit => ({
    file: f,
    which: "up",
    section: f.up,
    bookkeeping: (ms) => recordSql(f, s.operator, ms),
  });
  const record = (done: readonly UnitDone[], transactional: boolean) => {
    for (const d of done) {
      applied.push({
        version: d.file.version,
        name: d.file.name,
        checksum: d.file.checksum,
        durationMs: d.durationMs,
        transactional,
      });
      s.log({
        type: "applied",
        version: d.file.version,
        name: d.file.name,
        durationMs: d.durationMs,
        index: applied.length,
        total,
      });
    }
  };
  return tracked(async () => {
    // Whether the message before set up the next unit's session (a unit outside a transaction's).
    let settingsSent = false;
    for (let i = 0; i < files.length; ) {
      const f = files[i];
      // Stopped from outside (the plugin's engine went away): no further migration.
      const reason = stopReason();
      if (reason !== undefined) throw stoppedError(reason, applied.length, f.filename);
      const transactional = f.up.options.transaction;
      let j = i + 1;
      while (transactional && j < files.length && j - i < s.batchSize && files[j].up.options.transaction) j++;
      s.log({ type: "applying", version: f.version, name: f.name, index: i + 1, total, count: j - i });
      // The next unit's settings ride on this message's end when it runs outside a transaction.
      const then = j < files.length && !files[j].up.options.transaction ? files[j].up : undefined;
      const sent = settingsSent;
      const { done, failure } = await cancellable(client, () =>
        transactional
          ? runTransactional(client, files.slice(i, j).map(unit), s, applied.length, then)
          : runOutsideTransaction(client, unit(f), s, { settingsSent: sent, then }),
      );
      record(done, transactional);
      const stopped = stopReason();
      if (failure && stopped !== undefined)
        throw stoppedError(stopped, applied.length, files[i + done.length]?.filename);
      if (failure) throw failure;
      settingsSent = then !== undefined;
      i = j;
    }
    return applied;
  });
}
