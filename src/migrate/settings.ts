/**
 * The engine's options (plain and serializable, so that a caller can keep them as data: the
 * Pulumi migration component in infra/migrations builds them from its resource's inputs) and
 * their validation: every problem is collected and reported in one error, each naming
 * the option, as graphile/migrate's settings do.
 */
import { type Environment, isEnvironment, PROTECTED_ENVIRONMENTS } from "../env/environment";
import { durationProblem, lockWaitProblem } from "./duration";
import type { ListDigest } from "./ledger-summary";
import type { Connection } from "./pg";

/** Something the engine reports while it runs. */
export type MigrateEvent =
  | { readonly type: "info" | "warn"; readonly message: string }
  /** `count` migrations starting with this one are on their way in one round trip. */
  | {
      readonly type: "applying";
      readonly version: string;
      readonly name: string;
      readonly index: number;
      readonly total: number;
      readonly count: number;
    }
  /** `durationMs` is NaN when it could not be read back after a later migration failed. */
  | {
      readonly type: "applied";
      readonly version: string;
      readonly name: string;
      readonly durationMs: number;
      readonly index: number;
      readonly total: number;
    };

/** Options shared by every engine call that reaches a database. */
export interface ConnectionOptions {
  /** A `postgresql://` URL or `{ host, port, user, password, database, ssl }`. */
  readonly connection: Connection;
  /** The folder of `<version>_<name>.sql` files. */
  readonly dir: string;
  /** Which Precog environment the database belongs to; decides lint severity, backups and refusals. */
  readonly environment: Environment;
  /** Receives progress and warnings; default: none. */
  readonly log?: (event: MigrateEvent) => void;
  /** application_name on the server, to tell runners apart in pg_stat_activity. Default "precog-db". */
  readonly applicationName?: string;
  /** Set by callers that checked PRECOG_PROD_CONFIRMED themselves; else the engine reads it. */
  readonly prodConfirmed?: boolean;
  /**
   * The role migrations act as, when the login is a member of it rather than the role itself (the
   * migrator of src/env/roles.ts and its owner role): the engine runs `SET ROLE` to it once it holds
   * the migration lock and again before each migration, after the clean-session reset, so every
   * object (the history table too) is this role's whatever a migration did to its session. Default:
   * none, the login's own role.
   */
  readonly ownerRole?: string;
}

/** Options of `migrate` (and, where they apply, `plan` and `down`). */
export interface MigrateOptions extends ConnectionOptions {
  /** Recorded as applied_by. Default: `currentOperator()` (PRECOG_OPERATOR, else the OS user). */
  readonly operator?: string;
  /** lock_timeout for each migration unless its file says otherwise. Default "5s". */
  readonly lockTimeout?: string;
  /** statement_timeout for each migration unless its file says otherwise. Default "15min". */
  readonly statementTimeout?: string;
  /** How long to wait for another runner's migration lock, in ms. Default 60000. */
  readonly lockWaitMs?: number;
  /** Apply pending files older than the newest applied one instead of refusing. Default false. */
  readonly allowOutOfOrder?: boolean;
  /**
   * When given, only these exact migrations may be applied: a pending file whose version is
   * missing here, or whose checksum differs, is refused. Meant for promotion along dev -> test ->
   * staging -> prod: pass what the previous stack applied (`readHistory` there).
   */
  readonly allowed?: readonly { readonly version: string; readonly checksum: string }[];
  /** Folder for the pre-migration pg_dump. Required where backups are on. */
  readonly backupDir?: string;
  /** Take a backup before applying. Default: on for staging and prod, off for dev and test. */
  readonly backup?: boolean;
  /**
   * A caller's own step before the first migration is applied (the Pulumi component's RDS
   * snapshot): run under the migration lock once the run has found something pending and checked
   * and linted it, after the engine's own backup; an error stops the run with nothing applied.
   * Never run when nothing is pending. So that a caller learns what is pending on the run's own
   * connection, not by logging in once more. Default: none.
   */
  readonly beforeApply?: (pending: readonly { readonly version: string; readonly name: string }[]) => Promise<void>;
  /** The pg_dump program. Default "pg_dump" from PATH. */
  readonly pgDump?: string;
  /**
   * Lint pending migrations before applying and refuse on errors. Default: on for staging and
   * prod (where findings are errors); dev and test see warnings from `plan` and `lint` instead,
   * which keeps the parser out of their everyday runs.
   */
  readonly lint?: boolean;
  /** Checksum cache file, or false to read every applied file. Default: node_modules/.cache/precog-db. */
  readonly checksumCache?: string | false;
  /** Pending transactional migrations sent per round trip (each still its own transaction). Default 50. */
  readonly batchSize?: number;
  /** Apply pending migrations only up to and including this version. Default: all. */
  readonly targetVersion?: string;
  /**
   * The files' digest (`{ count, newest, digest }`, ./ledger-summary.ts `listDigest`) as the caller read the
   * folder before this run: when the run's own scan finds another, it refuses before it asks the
   * server anything more, applying nothing (the Pulumi component: what is applied is the folder
   * its program and its diff read). Default: none.
   */
  readonly expectFiles?: ListDigest;
  /**
   * Also return the summary of the history as the run leaves it (`MigrateResult.summary`), read on
   * the run's own connection: for a caller that records the ledger (the Pulumi component) without
   * opening a second one. Default false.
   */
  readonly returnSummary?: boolean;
}

/** Options after defaults, as the runner uses them. */
export interface Settings
  extends Required<
    Omit<
      MigrateOptions,
      | "log"
      | "allowed"
      | "backupDir"
      | "checksumCache"
      | "prodConfirmed"
      | "targetVersion"
      | "ownerRole"
      | "beforeApply"
      | "expectFiles"
    >
  > {
  readonly log: (event: MigrateEvent) => void;
  readonly allowed?: MigrateOptions["allowed"];
  readonly backupDir?: string;
  readonly checksumCache?: string | false;
  readonly prodConfirmed?: boolean;
  readonly targetVersion?: string;
  readonly ownerRole?: string;
  readonly beforeApply?: MigrateOptions["beforeApply"];
  readonly expectFiles?: ListDigest;
}

export const DEFAULT_LOCK_TIMEOUT = "5s";
export const DEFAULT_STATEMENT_TIMEOUT = "15min";
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/**
 * Applies defaults and checks every option, throwing one error that lists each problem.
 * `applying` is false for read-only calls (status, plan), which need no backup folder.
 */
export function resolveSettings(options: MigrateOptions, operatorDefault: () => string, applying = true): Settings {
  const problems: string[] = [];
  const o = options;
  if (o.connection === undefined || o.connection === null || o.connection === "")
    problems.push("connection: required (a URL or { host, port, user, password, database })");
  if (typeof o.dir !== "string" || o.dir === "") problems.push("dir: required (the migrations folder)");
  if (typeof o.environment !== "string" || !isEnvironment(o.environment))
    problems.push(`environment: "${String(o.environment)}" is not one of dev, test, staging, prod`);
  for (const key of ["lockTimeout", "statementTimeout"] as const) {
    const v = o[key];
    const problem = v === undefined ? undefined : typeof v === "string" ? durationProblem(v) : "is not a string";
    if (problem) problems.push(`${key}: "${v}" ${problem}`);
  }
  const waitProblem = o.lockWaitMs === undefined ? undefined : lockWaitProblem(o.lockWaitMs);
  if (waitProblem) problems.push(`lockWaitMs: ${o.lockWaitMs} ${waitProblem}`);
  if (o.targetVersion !== undefined && !/^\d+$/.test(String(o.targetVersion)))
    problems.push(`targetVersion: "${o.targetVersion}" is not a version number`);
  if (o.ownerRole !== undefined && (typeof o.ownerRole !== "string" || o.ownerRole === ""))
    problems.push(`ownerRole: ${JSON.stringify(o.ownerRole)} is not a role name`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1))
    problems.push(`batchSize: ${o.batchSize} is not an integer >= 1`);
  for (const a of o.allowed ?? []) {
    if (!/^\d+$/.test(String(a.version)) || !/^[0-9a-f]{64}$/.test(String(a.checksum))) {
      problems.push(`allowed: entry ${JSON.stringify(a)} needs a numeric version and a sha256 hex checksum`);
      break;
    }
  }
  const protectedEnv = PROTECTED_ENVIRONMENTS.includes(o.environment);
  const backup = o.backup ?? protectedEnv;
  if (applying && backup && !o.backupDir)
    problems.push(
      `backupDir: required when backups are on (they are by default on ${o.environment}); pass --backup-dir or set PRECOG_BACKUP_DIR`,
    );
  if (problems.length > 0) throw new Error(`Invalid migration options:\n  ${problems.join("\n  ")}`);
  let operator = o.operator;
  return {
    connection: o.connection,
    dir: o.dir,
    environment: o.environment,
    log: o.log ?? (() => undefined),
    applicationName: o.applicationName ?? "precog-db",
    // Asked for when a history row is written: a no-op run never looks the OS user up.
    get operator() {
      operator ??= operatorDefault();
      return operator;
    },
    lockTimeout: o.lockTimeout ?? DEFAULT_LOCK_TIMEOUT,
    statementTimeout: o.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT,
    lockWaitMs: o.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    allowOutOfOrder: o.allowOutOfOrder ?? false,
    allowed: o.allowed,
    backupDir: o.backupDir,
    backup,
    pgDump: o.pgDump ?? "pg_dump",
    lint: o.lint ?? protectedEnv,
    checksumCache: o.checksumCache,
    batchSize: o.batchSize ?? 50,
    prodConfirmed: o.prodConfirmed,
    targetVersion: o.targetVersion,
    ownerRole: o.ownerRole,
    beforeApply: o.beforeApply,
    expectFiles: o.expectFiles,
    returnSummary: o.returnSummary ?? false,
  };
}
