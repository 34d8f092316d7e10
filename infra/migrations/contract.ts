/**
 * The migration resource's inputs and state, as plain data: what the program computes and what the
 * provider (in another process) reads back. No Pulumi types here.
 */
import { type LedgerEntry, migrationName, newestOf, oldestFirst, versionKey } from "../../src/migrate";

export interface MigrationsConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The migrator login (src/env/roles.ts `migrationLogin`), a member of the owner role. */
  readonly user: string;
  /**
   * The owner role the engine acts as (SET ROLE before each migration), so every object is the
   * owner's whoever logs in; absent on a connection recorded before the owner lost its login.
   */
  readonly ownerRole?: string;
  /** A Pulumi secret in the resource's inputs and state. */
  readonly password: string;
  readonly sslMode: string;
  /** Absolute path of the PEM root certificates verify-full checks the server against (aws stacks); absent: none. */
  readonly sslRootCert?: string;
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
  readonly connection: MigrationsConnection;
  /** The migrations folder, absolute: where this machine's files are. Not part of the diff. */
  readonly dir: string;
  /** Every file, `<filename>: <checksum>`, in version order: the diff names each pending one. */
  readonly migrations: Readonly<Record<string, string>>;
  /** The stack before this one (config precog:migrations.predecessor), or null for dev. Not part of the diff. */
  readonly predecessor: string | null;
  /** What the predecessor stack has applied, or null for the first stack (dev). Not part of the diff. */
  readonly allowed: readonly { readonly version: string; readonly checksum: string }[] | null;
  /**
   * True when the program runs for a preview (`pulumi preview`, and the preview `pulumi up` starts
   * with): only then does the provider lint dev's and test's pending files. Not part of the diff.
   */
  readonly preview: boolean;
  readonly backup: BackupPlan;
  readonly operator: string;
}

/**
 * The inputs as the program registers them and the engine carries them: the files as one JSON text
 * (one value instead of one per file through each check, diff and update; a preview still shows it
 * as an object diff that names each new file).
 */
export interface MigrationsWireInputs extends Omit<MigrationsInputs, "migrations"> {
  /** `MigrationsInputs.migrations` as JSON text. */
  readonly migrationsJson: string;
}

/** The inputs as the provider works on them. */
export function decodeInputs(wire: MigrationsWireInputs): MigrationsInputs {
  const { migrationsJson, ...rest } = wire;
  return { ...rest, migrations: JSON.parse(migrationsJson) as Record<string, string> };
}

/** What the provider's diff, update and refresh read back: the inputs it compares, and the ledger. */
export type RecordedInputs = Pick<MigrationsInputs, "environment" | "connection" | "backup" | "operator">;

/**
 * The resource's state. The inputs are recorded beside it by the engine; the state keeps only those
 * the provider reads back, so that the engine does not move every file's checksum once more.
 */
export interface MigrationsState extends RecordedInputs {
  /**
   * The applied ledger, oldest first, as the database's history table has it: LedgerEntry[] as JSON
   * text, one value for the engine to carry instead of five per migration (its encoding of every
   * value was most of what an apply through `pulumi up` cost beyond the apply). The component's
   * `ledger` and the stack's `migrations` output are the parsed list.
   */
  readonly ledgerJson: string;
  /** The newest applied version, or null before the first. */
  readonly schemaVersion: string | null;
  /** The backup taken before the last apply: a pg_dump file or an RDS snapshot identifier. */
  readonly lastBackup: string | null;
}

/** A state as recorded before the ledger became JSON text: the list itself. */
interface ListLedgerState {
  readonly ledger?: readonly LedgerEntry[];
}

/** The ledger a state records, in either form; none for a resource not yet created. */
export function recordedLedger(state: Partial<MigrationsState> & ListLedgerState): LedgerEntry[] {
  if (state.ledgerJson !== undefined) return JSON.parse(state.ledgerJson) as LedgerEntry[];
  return [...(state.ledger ?? [])];
}

export function stateOf(i: RecordedInputs, ledger: readonly LedgerEntry[], lastBackup: string | null): MigrationsState {
  const { environment, connection, backup, operator } = i;
  return {
    environment,
    connection,
    backup,
    operator,
    ledgerJson: JSON.stringify(oldestFirst(ledger, (e) => e.version)),
    schemaVersion: newestOf(ledger, (e) => e.version)?.version ?? null,
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
