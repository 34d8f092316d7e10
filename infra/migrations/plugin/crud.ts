/**
 * What the migration resource's provider does, in the provider plugin's process
 * (./server.ts hands it plain values). It logs in where the `login` input says (./login.ts: the
 * provider's config, or an IAM token signed when it connects), so no credential is an input. Every database step goes
 * through the migration engine (src/migrate): its lock, checksums, transactions, lint, backups and
 * error messages.
 *
 *   checkNew  a new resource's check (no recorded ledger yet): every file is pending; ./pending
 *   diff    the no-op compares two digests: the files' (an input) and the recorded ledger's. Else
 *           it reads the folder, and the recorded summary settles the ledger (or, when it does not,
 *           the history table is read): drift, then the pending files (./pending: the stack-order
 *           gate, and on staging and prod the lint)
 *   preview  of a create or update: on dev and test the lint's warnings (./previews.ts)
 *   create, update   apply what is pending (one login, one connection: the engine's), then record
 *           the ledger as the database has it
 *   read    (refresh) the ledger from the history table: a row changed by hand shows as drift
 *   delete  nothing: the database resource owns the schema's fate
 */
import type { Environment } from "../../../src/env/environment";
import {
  type AppliedRef,
  allowedOf,
  type HistoryRow,
  type LedgerEntry,
  type LedgerSummary,
  listDigest,
  type MigrateEvent,
  migrate,
  readHistory,
  sameList,
  settle,
  summaryOf,
} from "../../../src/migrate";
import {
  isFormerShape,
  type MigrationsInputs,
  type MigrationsState,
  type MigrationsWireInputs,
  type RecordedInputs,
  recordedSummary,
  stateOf,
  versionOf,
} from "../contract";
import type { ResourceLog } from "./engine-log";
import { connectionOf, describeLogin, ownerRoleOf, type RecordedLogin } from "./login";
import { checkPending, previewPending, stackOf } from "./pending";
import { pruneSnapshots, type RdsSnapshots, rdsClient, snapshotBeforeApply } from "./snapshot";

const ID = "migrations";

/** Where the RDS snapshot client comes from: the AWS SDK's; a test puts its stand-in here. */
export const snapshotClients: { rds: (region: string) => Promise<RdsSnapshots> } = { rds: rdsClient };

/** Applied migrations whose file is gone or changed: what `up` must not paper over. */
export function driftOf(inputs: MigrationsInputs, ledger: readonly { version: string; checksum: string }[]): string[] {
  const files = new Map(Object.entries(inputs.migrations).map(([f, sum]) => [versionOf(f), { f, sum }]));
  return ledger.flatMap((e) => {
    const file = files.get(e.version);
    if (!file)
      return [
        `version ${e.version} (checksum ${e.checksum.slice(0, 12)}) is applied but no file in migrations/ has that version: restore the file (\`precog-db status\` names it; rolling back is never implicit; \`precog-db down\` runs a down section)`,
      ];
    if (file.sum !== e.checksum) {
      return [
        `${file.f} changed after it was applied (applied ${e.checksum.slice(0, 12)}, file ${file.sum.slice(0, 12)}): restore the applied content and put the change in a new migration`,
      ];
    }
    return [];
  });
}

/**
 * What the state recorded as applied, every version and checksum oldest first: as its summary
 * settles it against the files (src/migrate `settle`), or else from the history table, logged in as
 * `inputs` say. None for a resource not yet created.
 */
async function recordedLedger(
  olds: MigrationsState | undefined,
  inputs: MigrationsInputs,
): Promise<{ version: string; checksum: string }[]> {
  if (olds === undefined) return [];
  const settled = settle(recordedSummary(olds, inputs.environment), filesOf(inputs));
  if ("applied" in settled) return settled.applied;
  try {
    return await ledgerOf(inputs);
  } catch (cause) {
    throw new Error(
      `The recorded ledger summary does not say what was applied before version ${settled.unsettledBefore} ` +
        `(the files there are not the ones applied), and reading precog_migrations.history of ${describeLogin(inputs)} failed: ${sentence(cause)} ${ledgerReadAdvice(inputs.environment)}`,
      { cause },
    );
  }
}

/** An error's message as a sentence: with its final full stop. */
function sentence(cause: unknown): string {
  const message = (cause as Error).message;
  return message.endsWith(".") ? message : `${message}.`;
}

/** What to do when the history table could not be read: the same read, by the command, shows why. */
function ledgerReadAdvice(environment: string): string {
  return `Make sure the server is reachable and the migrator can log in (\`PRECOG_ENV=${environment} npx precog-db status\` reads the same table as the migrator), then run again.`;
}

function driftError(stack: string, drift: readonly string[]): Error {
  return new Error(
    `Migration drift on ${stack}: the recorded ledger and the migration files disagree:\n${drift.map((d) => `  - ${d}`).join("\n")}`,
  );
}

/** The check of a new resource: every file is pending. A recorded one is checked by `diff`. */
export async function checkNew(urn: string, news: MigrationsInputs, log: ResourceLog) {
  await checkPending(stackOf(urn), news, [], log);
}

/**
 * `readFolder`: the inputs with the folder read (../contract.ts), only when the digests differ. A
 * folder that is not what the inputs' digest says (changed during an `up`, or since the inputs a
 * refresh diffs were recorded) is a change, not checked further here: an update refuses it.
 */
export async function diff(
  urn: string,
  olds: MigrationsState,
  news: MigrationsWireInputs,
  readFolder: () => Promise<{ readonly inputs: MigrationsInputs } | { readonly changed: string }>,
  log: ResourceLog,
) {
  let pending: readonly string[] = [];
  let stale = false;
  // The no-op: the files are the recorded ledger, version for version and checksum for checksum.
  if (isFormerShape(olds) || !sameList(news.files, olds.applied)) {
    const read = await readFolder();
    if ("changed" in read) return { changes: true, replaces: [] as string[], deleteBeforeReplace: false };
    const inputs = read.inputs;
    const ledger = await recordedLedger(olds, inputs);
    const drift = driftOf(inputs, ledger);
    if (drift.length > 0) throw driftError(stackOf(urn), drift);
    pending = await checkPending(stackOf(urn), inputs, ledger, log);
    // Read from the history table, the ledger is not the one recorded (applied by the command
    // since): the update records it, applying nothing when nothing is pending.
    stale = !isFormerShape(olds) && !sameList(listDigest(ledger), olds.applied);
  }
  const same = (k: "environment" | "login" | "backup" | "operator") =>
    JSON.stringify(olds[k]) === JSON.stringify(news[k]);
  // A state recorded before the current summary (none, or one with the whole ledger's text): the
  // update rewrites it (applying nothing if nothing is pending).
  // One recorded with its connection (the password in it) has no `login`: the update records one.
  const oldShape = isFormerShape(olds);
  const changes = pending.length > 0 || stale || oldShape || !same("environment") || !same("login") || !same("backup");
  return { changes, replaces: [] as string[], deleteBeforeReplace: false };
}

/**
 * The preview of a create (`olds` undefined: every file pending) or of an update: on dev and test
 * the lint's warnings on what is pending (./pending.ts `previewPending`). No query, unless the recorded
 * summary does not settle the ledger (`recordedLedger`).
 */
export async function preview(olds: MigrationsState | undefined, news: MigrationsInputs, log: ResourceLog) {
  await previewPending(news, await recordedLedger(olds, news), log);
}

async function ledgerOf(i: Pick<RecordedInputs, "environment"> & RecordedLogin): Promise<LedgerEntry[]> {
  const rows: HistoryRow[] = await readHistory({
    connection: await connectionOf(i),
    environment: i.environment as Environment,
    prodConfirmed: true,
  });
  return rows.map(toLedgerEntry);
}

function toLedgerEntry({ version, name, checksum, appliedAt, appliedBy }: HistoryRow): LedgerEntry {
  return { version, name, checksum, appliedAt, appliedBy };
}

/**
 * Applies what is pending, logged in once, on one connection: the engine's (`migrate`), which finds
 * what is pending itself, so a new resource (no recorded ledger, perhaps on a database that already
 * has migrations) applies what the database lacks without a read of its own first. The RDS snapshot
 * is the engine's `beforeApply`: taken once the engine holds its lock and has found something
 * pending, never when nothing is. On a failure the state records the ledger as the database has it.
 */
async function apply(i: MigrationsInputs, previous: MigrationsState | undefined, log?: ResourceLog) {
  let lastBackup = previous?.lastBackup ?? null;
  const plan = i.backup;
  try {
    const result = await migrate({
      connection: await connectionOf(i),
      ownerRole: ownerRoleOf(i),
      dir: i.dir,
      environment: i.environment as Environment,
      operator: i.operator,
      prodConfirmed: true,
      allowed: i.predecessorApplied ? allowedOf(i.predecessorApplied, filesOf(i)) : undefined,
      // What the program and the diff read; a folder changed since is refused with nothing applied.
      expectFiles: i.files,
      // On a local server the engine's own pg_dump, taken only when something is pending.
      backup: plan.kind === "pg_dump",
      backupDir: plan.kind === "pg_dump" ? plan.dir : undefined,
      beforeApply:
        plan.kind === "rds-snapshot"
          ? async () => {
              const rds = await snapshotClients.rds(plan.region);
              lastBackup = await snapshotBeforeApply(plan, rds);
              await pruneAfterSnapshot(plan, rds, log);
            }
          : undefined,
      applicationName: "precog-db pulumi",
      // The engine's notes and warnings (a wait for the migration lock among them) show under the resource.
      log: log && engineNotes(log),
      // The ledger to record, summed up by the server on the apply's own connection (no second one to open).
      returnSummary: true,
      // lint: the engine's default, on for staging and prod, where it refuses under the lock what
      // the diff's lint refuses first (./pending-lint.ts).
    });
    // Always there with returnSummary; without it the ledger would be a guess.
    if (!result.summary) throw new Error("migrate returned no ledger summary");
    return stateOf(i, result.summary, result.backupFile ?? lastBackup);
  } catch (e) {
    // Only after a failure: the apply's connection may be gone with it.
    const applied = await ledgerOf(i).then(summaryOf, () => previousSummary(previous, i.environment));
    const message = `${(e as Error).message}\n(target ${describeLogin(i)}; the ledger records the ${applied.count} migration(s) the database has)`;
    // Pulumi records `properties` as the resource's state (an initialization failure), so the
    // ledger in the state is the database's, whatever failed.
    throw Object.assign(new Error(message), {
      id: ID,
      properties: stateOf(i, applied, lastBackup),
      reasons: [message],
    });
  }
}

/** After a failed apply whose ledger could not be read: the previous state's, or (not holding together) none, never the apply's error hidden. */
function previousSummary(previous: MigrationsState | undefined, stack: string): LedgerSummary {
  try {
    return recordedSummary(previous ?? {}, stack);
  } catch {
    return summaryOf([]);
  }
}

/** Each file's version and checksum. */
function filesOf(i: MigrationsInputs): AppliedRef[] {
  return Object.entries(i.migrations).map(([f, checksum]) => ({ version: versionOf(f), checksum }));
}

/** The engine's info and warn events, to the resource's log; its per-file progress stays out of it. */
function engineNotes(log: ResourceLog): (e: MigrateEvent) => void {
  return (e) => {
    if (e.type === "info") void log.info(e.message).catch(() => undefined);
    else if (e.type === "warn") void log.warn(e.message).catch(() => undefined);
  };
}

export async function create(inputs: MigrationsInputs, log?: ResourceLog) {
  return { id: ID, outs: await apply(inputs, undefined, log) };
}

export async function update(olds: MigrationsState, news: MigrationsInputs, log?: ResourceLog) {
  const drift = driftOf(news, await recordedLedger(olds, news));
  if (drift.length > 0) throw driftError(news.environment, drift);
  return { outs: await apply(news, olds, log) };
}

/**
 * A refresh. The engine may put its own words before a provider's error (its "Preview failed:"), so
 * the message says itself that the refresh could not read the history, and of which database.
 */
export async function read(id: string, props: MigrationsState) {
  let ledger: LedgerEntry[];
  try {
    ledger = await ledgerOf(props);
  } catch (cause) {
    throw new Error(
      `Refresh failed: cannot read the applied migrations (precog_migrations.history) of ${describeLogin(props)}: ${sentence(cause)} ${ledgerReadAdvice(props.environment)}`,
      { cause },
    );
  }
  return { id, props: stateOf(props, summaryOf(ledger), props.lastBackup ?? null) };
}

/** The retention of the pre-migration snapshots: a failure to delete old ones is a warning, never a failed apply. */
async function pruneAfterSnapshot(
  plan: Extract<MigrationsInputs["backup"], { kind: "rds-snapshot" }>,
  rds: RdsSnapshots,
  log?: ResourceLog,
): Promise<void> {
  try {
    const deleted = await pruneSnapshots(plan, rds);
    if (deleted.length > 0)
      await log?.info(
        `deleted ${deleted.length} pre-migration snapshot(s) beyond the retention: ${deleted.join(", ")}`,
      );
  } catch (e) {
    await log
      ?.warn(
        `the older pre-migration snapshots of ${plan.instanceId} were not deleted (${(e as Error).message}); ` +
          'delete them by hand (docs/operations.md, "Backups beyond one region, and the pre-migration snapshots")',
      )
      .catch(() => undefined);
  }
}
