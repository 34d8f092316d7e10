/**
 * The migration resource's inputs and state, as plain data: what the program computes and what the
 * provider (in another process) reads back. No Pulumi types here. Neither grows with the ledger: the
 * inputs carry the files' digest, the state the ledger's summary (src/migrate/ledger-summary.ts).
 */
import {
  changedSinceRead,
  isCurrentSummary,
  type LedgerSummary,
  type ListDigest,
  migrationFolder,
  migrationName,
  type PredecessorView,
  summaryFromOutput,
  summaryOf,
  versionKey,
} from "../../src/migrate";

/** Where the migrator connects and what it acts as: no credential. */
export interface MigrationsTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The migrator login (src/env/roles.ts `migrationLogin`), a member of the owner role. */
  readonly user: string;
  /**
   * The owner role the engine acts as (SET ROLE before each migration), so every object is the
   * owner's whoever logs in; absent: no SET ROLE (a connection recorded before the owner lost its
   * login, a test logged in as the admin).
   */
  readonly ownerRole?: string;
  readonly sslMode: string;
  /** Absolute path of the PEM root certificates verify-full checks the server against (aws stacks); absent: none. */
  readonly sslRootCert?: string;
}

/**
 * Where the plugin finds the migrator's password at run time (./plugin/login.ts), never the
 * password itself: so a rotation changes no input of the resource.
 * - `provider-config`: local stacks. The password is the migration provider's config
 *   (`MigrationsProviderConfig`), which the program fills from the stack's generated password and
 *   whose changes the plugin's DiffConfig ignores.
 * - `aws-iam`: aws stacks. IAM database authentication: the plugin signs a token for the migrator
 *   (src/env/rds-iam-token.ts) when it logs in; the migrator has no password there.
 */
export type MigrationsLogin = MigrationsTarget &
  ({ readonly kind: "provider-config" } | { readonly kind: "aws-iam"; readonly region: string });

/** The migration provider's own config (its explicit provider resource's inputs). */
export interface MigrationsProviderConfig {
  /** The migrator's password on local stacks (a secret); absent on aws stacks. */
  readonly migratorPassword?: string;
}

/** The provider config's keys that hold credentials: their changes are no change (./plugin/provider-config.ts). */
export const PROVIDER_CREDENTIALS: readonly (keyof MigrationsProviderConfig)[] = ["migratorPassword"];

/**
 * The connection a state recorded before the login left the inputs: the password in it (a
 * secret). Read by a refresh of such a state only; its first `up` replaces it with `login`.
 */
export interface RecordedConnection extends MigrationsTarget {
  readonly password: string;
}

export type BackupPlan =
  | { readonly kind: "none" }
  /** pg_dump into a folder before applying (staging and prod on a local server). */
  | { readonly kind: "pg_dump"; readonly dir: string }
  /** An RDS manual snapshot, waited for until available (staging and prod on RDS). */
  | {
      readonly kind: "rds-snapshot";
      readonly instanceId: string;
      readonly region: string;
      /** The newest pre-migration snapshots kept whatever their age (precog:migrations.keepSnapshots). */
      readonly keepLast: number;
      /** Snapshots younger than this many days are kept too (precog:migrations.keepSnapshotDays). */
      readonly keepDays: number;
    };

export interface MigrationsInputs {
  readonly environment: string;
  /** Where the migrator's login is found (never the password). */
  readonly login: MigrationsLogin;
  /** The migrations folder, absolute: where this machine's files are, which the provider reads itself. */
  readonly dir: string;
  /**
   * The files as the program read them: count, newest version, sha256 of every version and checksum
   * (src/migrate `listDigest`). What a no-op compares with the recorded ledger's, and what the
   * engine holds the folder to when it applies (`expectFiles`).
   */
  readonly files: ListDigest;
  /** Every file, `<filename>: <checksum>`, in version order: read by the provider when `files` is not the ledger's. */
  readonly migrations: Readonly<Record<string, string>>;
  /** The stack before this one (config precog:migrations.predecessor), or null for dev. Not part of the diff. */
  readonly predecessor: string | null;
  /**
   * What the predecessor stack has applied of these files (src/migrate `predecessorView`: its
   * newest version, and the few files up to it that it has not applied as they are here), or null
   * for the first stack (dev). Not part of the diff.
   */
  readonly predecessorApplied: PredecessorView | null;
  readonly backup: BackupPlan;
  readonly operator: string;
}

/**
 * The inputs as the program registers them and the engine carries them: the files as their digest
 * (count, newest version, sha256 of every version and checksum), the same value whatever the
 * ledger's length. A no-op compares it with the recorded ledger's; otherwise the provider reads the
 * folder itself (`withFiles`), and a preview shows the digest changed (the provider's log line
 * `pending migrations:` names the files).
 */
export type MigrationsWireInputs = Omit<MigrationsInputs, "migrations">;

/**
 * The inputs as the provider works on them: the folder read (the engine's stat cache, through
 * `read`), and held to the digest the program read, so that what is applied is what the preview showed.
 */
export async function withFiles(wire: MigrationsWireInputs, read: typeof readFolder): Promise<MigrationsInputs> {
  const got = await read(wire);
  if ("changed" in got) throw new Error(got.changed);
  return got.inputs;
}

/**
 * The folder read, or (not what the inputs' digest says) why not: in an `up`, files changed since
 * the program read them; in a refresh, whose inputs are those recorded, files changed since then.
 */
export async function readFolder(
  wire: MigrationsWireInputs,
): Promise<{ readonly inputs: MigrationsInputs } | { readonly changed: string }> {
  const folder = await migrationFolder(wire.dir);
  const changed = changedSinceRead(wire.dir, wire.files, folder.digest);
  if (changed) return { changed };
  return { inputs: { ...wire, migrations: Object.fromEntries(folder.files().map((f) => [f.filename, f.checksum])) } };
}

/** What the provider's diff, update and refresh read back: the inputs it compares, and the ledger. */
export type RecordedInputs = Pick<MigrationsInputs, "environment" | "login" | "backup" | "operator">;

/**
 * The resource's state. The inputs are recorded beside it by the engine; the state keeps only those
 * the provider reads back, so that the engine does not move every file's checksum once more.
 */
export interface MigrationsState extends Omit<RecordedInputs, "login"> {
  /** Absent from a state recorded before the login left the inputs, which has `connection` instead. */
  readonly login?: MigrationsLogin;
  readonly connection?: RecordedConnection;
  /**
   * The applied ledger as its summary (src/migrate `LedgerSummary`): count, newest version, digest,
   * and the newest hundred applied versions and checksums, as the database's history table has them.
   * What the provider finds pending and drift from (with the files, or else the table itself); the
   * component's `applied` and the stack's `migrations` output. The names and who applied when are
   * the history table's alone.
   */
  readonly applied: LedgerSummary;
  /** The newest applied version, or null before the first. */
  readonly schemaVersion: string | null;
  /** The backup taken before the last apply: a pg_dump file or an RDS snapshot identifier. */
  readonly lastBackup: string | null;
}

/**
 * The ledgers states recorded before the current summary: the summary with the whole text
 * (`applied.applied`), before that the whole ledger as JSON text (`ledgerJson`), and before that
 * as a list (`ledger`). Read so that such a stack moves to the summary in one update.
 */
interface FormerLedgerState {
  readonly ledgerJson?: string;
  readonly ledger?: readonly { readonly version: string; readonly checksum: string }[];
}

/** Whether `state` was recorded before the current summary: its diff asks for an update, which rewrites it. */
export function isFormerShape(state: Partial<MigrationsState>): boolean {
  return !isCurrentSummary(state.applied);
}

/**
 * The summary of what a state records, in any of its shapes; of nothing for a resource not yet
 * created. `stack` names it in the error of a summary that does not hold together.
 */
export function recordedSummary(state: Partial<MigrationsState> & FormerLedgerState, stack: string): LedgerSummary {
  if (state.applied !== undefined) return summaryFromOutput(state.applied, stack) ?? summaryOf([]);
  const former = state.ledgerJson !== undefined ? JSON.parse(state.ledgerJson) : (state.ledger ?? []);
  return summaryOf(former as { version: string; checksum: string }[]);
}

/**
 * The state to record. `i`: the inputs of an apply, or (a refresh) the state read back, which for a
 * state recorded before the login left the inputs keeps its `connection` until its next update.
 */
export function stateOf(
  i: RecordedInputs | MigrationsState,
  applied: LedgerSummary,
  lastBackup: string | null,
): MigrationsState {
  const { environment, backup, operator } = i;
  return {
    environment,
    ...(i.login ? { login: i.login } : { connection: (i as MigrationsState).connection }),
    backup,
    operator,
    applied,
    schemaVersion: applied.newest,
    lastBackup,
  };
}

/** The version and name a file name carries, as the history table writes them ("0003_x.sql" -> "3", "x"): src/migrate `versionKey`. */
export function refOf(filename: string): { version: string; name: string } {
  const named = migrationName(filename);
  if (named === undefined) throw new Error(`${filename}: not a migration file name (<version>_<name>.sql)`);
  return { version: versionKey(named.version), name: named.name };
}

export function versionOf(filename: string): string {
  return refOf(filename).version;
}
