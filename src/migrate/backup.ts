/**
 * The pre-migration backup: `pg_dump --format=custom` of the whole target into the configured
 * folder, named `<environment>-<UTC time>-<from>-to-<to>.dump`, before anything is applied. The
 * password reaches pg_dump through PGPASSWORD in its environment, never its arguments (which
 * other users can read in `ps`).
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
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

/** Writes the dump and returns its path; throws (removing any partial file) if pg_dump fails. */
export async function backupDatabase(o: BackupOptions): Promise<string> {
  const dir = resolve(o.dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new Error(`Cannot create the backup folder ${dir}: ${(cause as Error).message}. Nothing was applied.`, {
      cause,
    });
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const file = join(dir, `${o.environment}-${stamp}-${o.fromVersion}-to-${o.toVersion}.dump`);
  try {
    await runPgDump(o.pgDump ?? "pg_dump", o.connection, [...(o.args ?? ["--format=custom"]), `--file=${file}`]);
    if (statSync(file).size === 0) throw new Error("pg_dump wrote an empty file");
  } catch (cause) {
    rmSync(file, { force: true });
    throw new Error(`Backup of ${o.environment} failed, so nothing was applied: ${(cause as Error).message}`, {
      cause,
    });
  }
  return file;
}

/** Runs pg_dump against `connection` with `args`; resolves with its stdout. */
export function runPgDump(program: string, connection: Connection, args: readonly string[]): Promise<string> {
  const { env, target } = libpqEnvironment(connection);
  return new Promise((ok, fail) => {
    const child = spawn(program, [...args, ...target], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
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
  if (connection.password) env.PGPASSWORD = connection.password;
  if (connection.database) env.PGDATABASE = connection.database;
  if (connection.ssl)
    env.PGSSLMODE =
      typeof connection.ssl === "object" && connection.ssl.rejectUnauthorized === false ? "require" : "verify-full";
  return { env, target: [] };
}
