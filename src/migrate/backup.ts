/**
 * The pre-migration backup: `pg_dump --format=custom` of the whole target into the configured
 * folder, named `<environment>-<UTC time>-<from>-to-<to>.dump`, before anything is applied. The
 * password reaches pg_dump through PGPASSWORD in its environment, never its arguments (which
 * other users can read in `ps`). The folder is 0700 and each dump 0600, like `.env.<env>`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { onInterrupt } from "./interrupt";
import { type Connection, maskSecrets } from "./pg";

export interface BackupOptions {
  readonly connection: Connection;
  readonly dir: string;
  readonly environment: string;
  /** Newest applied version before the run ("0" on an empty database). */
  readonly fromVersion: string;
  /** Newest version the run will apply. */
  readonly toVersion: string;
  /** The pg_dump program. Default "pg_dump". */
  readonly pgDump?: string;
  /** Extra pg_dump arguments (validate uses --schema-only). Default: whole database, custom format. */
  readonly args?: readonly string[];
}

/**
 * Writes the dump and returns its path. pg_dump writes `<file>.partial`, renamed to the dump's name
 * only once it completed, so a file named like a good dump is one; a failure removes the partial
 * file, and so does a signal that interrupts the process (SIGINT, SIGTERM, SIGHUP), after stopping
 * pg_dump, which would otherwise run on without its parent.
 */
export async function backupDatabase(o: BackupOptions): Promise<string> {
  const dir = privateFolder(resolve(o.dir));
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const file = join(dir, `${o.environment}-${stamp}-${o.fromVersion}-to-${o.toVersion}.dump`);
  const partial = `${file}.partial`;
  let pgDump: ChildProcess | undefined;
  const stopOnSignal = onInterrupt(async (signal) => {
    await stopChild(pgDump);
    rmSync(partial, { force: true });
    process.stderr.write(
      `precog-db: interrupted by ${signal} during the backup: stopped pg_dump and removed the incomplete ${partial}. Nothing was applied.\n`,
    );
  });
  try {
    // Created 0600 first: pg_dump truncates and writes an existing file, keeping its mode.
    closeSync(openSync(partial, "wx", 0o600));
    await runPgDump(
      o.pgDump ?? "pg_dump",
      o.connection,
      [...(o.args ?? ["--format=custom"]), `--file=${partial}`],
      (child) => (pgDump = child),
    );
    if (statSync(partial).size === 0) throw new Error("pg_dump wrote an empty file");
    renameSync(partial, file);
  } catch (cause) {
    rmSync(partial, { force: true });
    throw new Error(`Backup of ${o.environment} failed, so nothing was applied: ${(cause as Error).message}`, {
      cause,
    });
  } finally {
    stopOnSignal();
  }
  return file;
}

/** Ends `child` (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      ok();
    });
    child.kill("SIGTERM");
  });
}

/**
 * The backup folder, private to the user: created 0700 (each level created), or an existing one
 * that no other user can read; a dump holds every row, so a shared folder is refused, not changed.
 */
function privateFolder(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new Error(`Cannot create the backup folder ${dir}: ${(cause as Error).message}. Nothing was applied.`, {
      cause,
    });
  }
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `The backup folder ${dir} can be read by other users (mode 0${mode.toString(8)}): run chmod 700 ${dir}, or choose a private folder. Nothing was applied.`,
    );
  }
  return dir;
}

/** Runs pg_dump against `connection` with `args`; resolves with its stdout. `started` gets the process. */
export function runPgDump(
  program: string,
  connection: Connection,
  args: readonly string[],
  started?: (child: ChildProcess) => void,
): Promise<string> {
  const { env, target } = pgDumpEnvironment(connection);
  return new Promise((ok, fail) => {
    const child = spawn(program, [...args, ...target], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    started?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) =>
      fail(
        new Error(`cannot run ${program}: ${e.message} (install PostgreSQL's client tools or pass pgDump)`, {
          cause: e,
        }),
      ),
    );
    child.on("close", (code) => {
      if (code === 0) ok(Buffer.concat(out).toString("utf8"));
      else
        fail(new Error(`${program} exited with ${code}: ${maskSecrets(Buffer.concat(err).toString("utf8").trim())}`));
    });
  });
}

/**
 * The process environment pg_dump runs with: the caller's, minus every libpq variable (PGHOSTADDR,
 * PGSERVICE, PGPASSFILE, PGOPTIONS, PGSSL*, ...), which would otherwise point it at another address
 * or change its session; then exactly the target's connection.
 */
export function pgDumpEnvironment(
  connection: Connection,
  callerEnv: NodeJS.ProcessEnv = process.env,
): { env: Record<string, string>; target: string[] } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(callerEnv)) if (!k.startsWith("PG") && v !== undefined) env[k] = v;
  const own = libpqEnvironment(connection);
  return { env: { ...env, ...own.env }, target: own.target };
}

/** libpq environment variables for a connection (the password only in PGPASSWORD). */
function libpqEnvironment(connection: Connection): { env: Record<string, string>; target: string[] } {
  const env: Record<string, string> = {};
  if (typeof connection === "string") {
    const u = new URL(connection);
    if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
    u.password = "";
    return { env, target: [`--dbname=${u.toString()}`] };
  }
  if (connection.host) env.PGHOST = connection.host;
  if (connection.port) env.PGPORT = String(connection.port);
  if (connection.user) env.PGUSER = connection.user;
  const password = passwordValue(connection.password);
  if (password !== undefined) env.PGPASSWORD = password;
  if (connection.database) env.PGDATABASE = connection.database;
  if (connection.tls) {
    env.PGSSLMODE = connection.tls.mode;
    if (connection.tls.rootCert !== undefined) env.PGSSLROOTCERT = connection.tls.rootCert;
  } else if (connection.ssl)
    env.PGSSLMODE =
      typeof connection.ssl === "object" && connection.ssl.rejectUnauthorized === false ? "require" : "verify-full";
  else if (connection.ssl === false) env.PGSSLMODE = "disable";
  if (connection.connectionTimeoutMillis)
    env.PGCONNECT_TIMEOUT = String(Math.max(1, Math.ceil(connection.connectionTimeoutMillis / 1000)));
  return { env, target: [] };
}

/** A password function is asked once here; one that has no password gives none (pg_dump then says so). */
function passwordValue(password: string | (() => string) | undefined): string | undefined {
  if (typeof password !== "function") return password;
  try {
    return password();
  } catch {
    return undefined;
  }
}
