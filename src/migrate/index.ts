/**
 * The migration engine's public API: what the `precog-db` command uses, and what a library caller
 * (the Pulumi migration component, infra/migrations) is to use. Options are plain
 * serializable objects; results are plain data.
 *
 *   migrate(options)      apply pending migrations              -> MigrateResult
 *   plan(options)         what migrate would apply, linted       -> PlanResult
 *   status(options)       every migration's state, verified      -> StatusResult
 *   readHistory({ connection, environment })  applied versions and checksums -> HistoryRow[]
 *   down(options)         roll back (dev and test only)          -> DownResult
 *   lint(dir, options)    lint migration files                   -> LintReport
 *   validate(options)     live database vs. what the files build -> ValidateResult
 *   migrationFiles(dir)   every file's version, name and checksum -> MigrationFileSum[]
 *   migrationFolder(dir)  the files' digest, and the files when asked -> MigrationFolder
 *
 * Heavy parts (pg, the SQL parser, pg_dump) load on first use, so importing this module is cheap.
 */

import { listMigrations, readMigration } from "./files";
import type { ListDigest } from "./ledger-summary";
import type { LintOptions, LintReport } from "./lint";
import { scanFolder } from "./scan";
import type { ValidateOptions, ValidateResult } from "./validate";

export { type DownOptions, type DownResult, down, type RolledBack } from "./down";
export {
  listMigrations,
  type MigrationFile,
  type MigrationRef,
  migrationName,
  parseMigration,
  readMigration,
} from "./files";
export { HISTORY_SCHEMA, HISTORY_TABLE, type HistoryRow } from "./history";
export type { LintFinding, LintOptions, LintReport } from "./lint";
export { type Connection, describeConnection, MIGRATION_LOCK_KEY, maskSecrets } from "./pg";
export { type AppliedMigration, type MigrateResult, migrate } from "./runner";
export {
  type ConnectionOptions,
  DEFAULT_LOCK_TIMEOUT,
  DEFAULT_LOCK_WAIT_MS,
  DEFAULT_STATEMENT_TIMEOUT,
  type MigrateEvent,
  type MigrateOptions,
} from "./settings";
export { ConnectionLostError, isConnectionLoss, MigrationError } from "./sql-error";
export {
  type PlannedMigration,
  type PlanResult,
  plan,
  type ReadHistoryOptions,
  readHistory,
  type StatusEntry,
  type StatusResult,
  status,
} from "./status";
export type { Drift, ValidateOptions, ValidateResult } from "./validate";

/** Lints every migration in `dir` (or only `only`, by file name; a name with no such file is an error). */
export async function lint(
  dir: string,
  options: LintOptions & { readonly only?: readonly string[] },
): Promise<LintReport> {
  const all = listMigrations(dir);
  const unknown = (options.only ?? []).filter((name) => !all.some((r) => r.filename === name));
  if (unknown.length > 0) {
    // Linting nothing and passing would tell a typo'd CI step that the file is clean.
    throw new Error(
      `No migration ${unknown.map((n) => `"${n}"`).join(", ")} in ${dir}: name files as they are in that folder (<version>_<name>.sql), or pass --dir.`,
    );
  }
  const { lintFiles, withEarlierFiles } = await import("./lint");
  if (!options.only) return lintFiles(all.map(readMigration), options);
  // The files named, judged against what the files before them built.
  const chosen = all.filter((r) => options.only?.includes(r.filename)).map(readMigration);
  const { files, report } = withEarlierFiles(all, chosen);
  return lintFiles(files, { ...options, report });
}

/** Compares the live database with a scratch database built from the files; see ./validate. */
export async function validate(options: ValidateOptions): Promise<ValidateResult> {
  return (await import("./validate")).validateDatabase(options);
}

/** A migration file as the history table records it: version without padding, name, checksum. */
export interface MigrationFileSum {
  readonly version: string;
  readonly name: string;
  readonly filename: string;
  /** sha256 hex of the up section. */
  readonly checksum: string;
}

/** Every file in `dir`, in version order, checksummed through the stat cache (`migrate`'s). */
export async function migrationFiles(dir: string, checksumCache?: string | false): Promise<MigrationFileSum[]> {
  return (await migrationFolder(dir, checksumCache)).files();
}

/** A migrations folder: its files' digest, and the files themselves when asked for. */
export interface MigrationFolder {
  /** Count, newest version and digest of every file's version and checksum (`listDigest`). */
  readonly digest: ListDigest;
  /** Every file, in version order, checksummed through the stat cache. */
  files(): MigrationFileSum[];
}

/**
 * `dir` through the stat cache: one stat() per file, and when no file changed since a run that
 * trusted them all, the digest from the cache's stamp without reading its entries (the files'
 * checksums are read from them only when `files()` is called).
 */
export async function migrationFolder(dir: string, checksumCache?: string | false): Promise<MigrationFolder> {
  const scan = await scanFolder(dir, checksumCache);
  return {
    digest: scan.files,
    files: () =>
      scan.refs.map((r) => ({
        version: r.order.toString(),
        name: r.name,
        filename: r.filename,
        checksum: scan.checksumOf(r),
      })),
  };
}

export {
  type AppliedRef,
  allowedOf,
  appliedEntries,
  changedSinceRead,
  checksumThere,
  isCurrentSummary,
  type LedgerSummary,
  type ListDigest,
  listDigest,
  type PredecessorView,
  predecessorView,
  RECENT,
  sameList,
  settle,
  summaryFromOutput,
  summaryOf,
} from "./ledger-summary";
export { type GateInput, type LedgerEntry, stackOrderError, stackOrderProblems } from "./stack-order";
export { compareVersions, newestOf, oldestFirst, pendingOf, type Version, versionKey } from "./versions";
