/**
 * `migrate`: the runner every environment's schema changes go through. Reads top to bottom:
 * list file names, connect, compare with history (the no-op run stops here), take the lock,
 * re-check, read pending files, check them against `allowed`, lint, back up, apply, unlock.
 */
import type { Client } from "pg";
import { currentOperator } from "../env/environment";
import { runOutsideTransaction, runTransactional, type Unit, type UnitDone } from "./apply";
import { ChecksumCache } from "./checksum-cache";
import { listMigrations, readMigration, type MigrationFile, type MigrationRef } from "./files";
import { ensureHistoryTable, historyDigest, readHistoryDigest, readHistoryRows, recordSql } from "./history";
import { guardTarget } from "./guard";
import { describeConnection, withAdvisoryLock, withClient } from "./pg";
import { allowedProblems, assertNoProblems, pendingUpTo, reconcile } from "./reconcile";
import { resolveSettings, type MigrateOptions, type Settings } from "./settings";

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
}

/** Applies every pending migration in version order. Throws on any problem, after reporting it. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const s = resolveSettings(options, currentOperator);
  guardTarget(s, "apply migrations");
  const target = describeConnection(s.connection);
  const result = (applied: AppliedMigration[], backupFile?: string): MigrateResult => ({ environment: s.environment, target, applied, backupFile });

  let refs: MigrationRef[] = [];
  const pendingOf = (st: { pending: readonly MigrationRef[] }) => pendingUpTo(st.pending, s.targetVersion);
  const read = new Map<string, MigrationFile>();
  const checksums = new Map<string, string>();
  // The file names and every file's checksum through the stat cache (reading only new or changed
  // files), done while the connection handshake is in flight: it starts once the socket is
  // opening and yields every 100 files so the handshake's messages are answered in between.
  const checksumAll = async () => {
    await new Promise((r) => setImmediate(r));
    refs = listMigrations(s.dir);
    const cache = ChecksumCache.open(s.dir, s.checksumCache);
    for (let i = 0; i < refs.length; i++) {
      const { checksum, file } = cache.checksum(refs[i]);
      checksums.set(refs[i].filename, checksum);
      if (file) read.set(refs[i].filename, file);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    cache.save();
  };
  const checksumOf = (ref: MigrationRef) => checksums.get(ref.filename)!;

  return withClient(s.connection, s.applicationName, async (client) => {
    // Without the lock: the answer "nothing pending" is safe to give from committed history, and
    // it is what nearly every run gets, so it costs one query returning one row: if the history's
    // digest is that of every file, all are applied, unchanged, in order.
    if (s.targetVersion === undefined) {
      const applied = await readHistoryDigest(client);
      const local = refs.map((r) => ({ order: r.order, name: r.name, checksum: checksums.get(r.filename)! }));
      if (applied && applied.count === refs.length && applied.digest === historyDigest(local)) {
        s.log({ type: "info", message: `${target} (${s.environment}) is up to date: ${applied.count} migration(s) applied.` });
        return result([]);
      }
    }
    let history = await readHistoryRows(client);
    let state = reconcile({ refs, history, checksumOf, dir: s.dir, environment: s.environment, allowOutOfOrder: s.allowOutOfOrder });
    assertNoProblems(state.problems, `Cannot migrate ${target} (${s.environment})`);
    if (pendingOf(state).length === 0) {
      s.log({ type: "info", message: `${target} (${s.environment}) is up to date: ${history.length} migration(s) applied.` });
      return result([]);
    }

    return withAdvisoryLock(client, s.lockWaitMs, async () => {
      await ensureHistoryTable(client);
      // Another runner may have applied some while we waited for the lock.
      history = await readHistoryRows(client);
      state = reconcile({ refs, history, checksumOf, dir: s.dir, environment: s.environment, allowOutOfOrder: s.allowOutOfOrder });
      assertNoProblems(state.problems, `Cannot migrate ${target} (${s.environment})`);
      const pending = pendingOf(state);
      if (pending.length === 0) return result([]);

      const files = pending.map((ref) => read.get(ref.filename) ?? readMigration(ref));
      assertNoProblems(allowedProblems(files, s.allowed), `Refusing to migrate ${s.environment}: pending migrations outside the allowed set`);
      if (s.lint) await enforceLint(files, s);
      const from = state.newest?.version ?? "0";
      const backupFile = s.backup ? await backupFirst(s, from, files[files.length - 1].version) : undefined;
      const applied = await applyAll(client, files, s);
      s.log({ type: "info", message: `Applied ${applied.length} migration(s) to ${target} (${s.environment}).` });
      return result(applied, backupFile);
    });
  }, checksumAll);
}

async function enforceLint(files: readonly MigrationFile[], s: Settings): Promise<void> {
  // Loaded here: the parser is WebAssembly and only runs when there is something to apply.
  const { lintFiles, formatFindings } = await import("./lint");
  const report = await lintFiles(files, { environment: s.environment, lockTimeout: s.lockTimeout });
  for (const f of report.findings.filter((x) => x.severity !== "error")) s.log({ type: "warn", message: formatFindings([f]) });
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `Refusing to migrate ${s.environment}: lint found ${errors.length} error(s) in pending migrations:\n${formatFindings(errors)}\n` +
        `Make the change safely, or approve it in the file with a reason: -- lint:approve <rule>: <why this is safe>`,
    );
  }
}

async function backupFirst(s: Settings, from: string, to: string): Promise<string> {
  const { backupDatabase } = await import("./backup");
  s.log({ type: "info", message: `Backing up ${describeConnection(s.connection)} before applying...` });
  const file = await backupDatabase({ connection: s.connection, dir: s.backupDir!, environment: s.environment, fromVersion: from, toVersion: to, pgDump: s.pgDump });
  s.log({ type: "info", message: `Backup written: ${file}` });
  return file;
}

/** Applies files in order: runs of transactional ones batched, the others one by one. */
async function applyAll(client: Client, files: readonly MigrationFile[], s: Settings): Promise<AppliedMigration[]> {
  const applied: AppliedMigration[] = [];
  const total = files.length;
  const unit = (f: MigrationFile): Unit => ({ file: f, which: "up", section: f.up, bookkeeping: (ms) => recordSql(f, s.operator, ms) });
  const record = (done: readonly UnitDone[], transactional: boolean) => {
    for (const d of done) {
      applied.push({ version: d.file.version, name: d.file.name, checksum: d.file.checksum, durationMs: d.durationMs, transactional });
      s.log({ type: "applied", version: d.file.version, name: d.file.name, durationMs: d.durationMs, index: applied.length, total });
    }
  };
  for (let i = 0; i < files.length; ) {
    const f = files[i];
    const transactional = f.up.options.transaction;
    let j = i + 1;
    while (transactional && j < files.length && j - i < s.batchSize && files[j].up.options.transaction) j++;
    s.log({ type: "applying", version: f.version, name: f.name, index: i + 1, total, count: j - i });
    const { done, failure } = transactional ? await runTransactional(client, files.slice(i, j).map(unit), s) : await runOutsideTransaction(client, unit(f), s);
    record(done, transactional);
    if (failure) throw failure;
    i = j;
  }
  return applied;
}
