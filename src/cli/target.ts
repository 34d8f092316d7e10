/**
 * Where the command points: the environment (PRECOG_ENV, else DB_NAME, else dev, by the shared
 * rules in src/env) and the connection, worked out by the one resolver the application uses
 * (src/env/connection.ts: DB_HOST, DB_PORT, DB_NAME, DB_USER/DB_PASSWORD or the migration login
 * DB_MIGRATION_USER/DB_MIGRATION_PASSWORD, DB_SSLMODE, DB_SSL_ROOT_CERT, DB_CONNECT_TIMEOUT), read
 * from the process environment or a `.env` file (the process environment wins). `--database-url`
 * stands in for the server, login and database (its `sslmode`, `sslrootcert` and `connect_timeout`
 * for the variables of those names). Dev and test default to the local cluster of
 * scripts/local-pg.sh and its superuser; staging and prod have no defaults.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { committedStack } from "../config/stack-file";
import { type Login, type ResolvedConnection, resolveConnection } from "../env/connection";
import { loadVars as loadEnvFile } from "../env/env-file";
import { assertDatabaseMatches, type EnvironmentChoice } from "../env/environment";
import { passwordFor } from "../env/tls";
import { type Connection, describeConnection } from "../migrate/pg";

export type Vars = Readonly<Record<string, string | undefined>>;

export interface Target {
  readonly choice: EnvironmentChoice;
  /** Server, login, database, TLS mode and timeout; `ssl` is added by `negotiateTarget` (negotiate.ts). */
  readonly connection: Connection & object;
  /** Secret values to scrub from anything printed, whatever path they take. */
  readonly secrets: readonly string[];
  /** The role migrations act as (the engine's ownerRole): set when the login is the environment's migrator. */
  readonly ownerRole?: string;
}

/** The local cluster's superuser (scripts/local-pg.sh): the command's login on dev and test by default. */
const LOCAL_ADMIN = "postgres";

/** `--database-url` query parameters, and the variable each stands for. */
const URL_PARAMETERS: Readonly<Record<string, string>> = {
  sslmode: "DB_SSLMODE",
  sslrootcert: "DB_SSL_ROOT_CERT",
  connect_timeout: "DB_CONNECT_TIMEOUT",
  host: "DB_HOST",
};

/** The connection variables a URL replaces (the environment-wide TLS and timeout settings stay). */
const URL_REPLACES = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_MIGRATION_USER", "DB_MIGRATION_PASSWORD"];

/**
 * Process environment over `<cwd>/.env`, read by the loader the application uses (src/env), so
 * the command and the app agree on every line of the file.
 */
export function loadVars(cwd: string, env: Vars = process.env): Vars {
  const file = join(cwd, ".env");
  return loadEnvFile({ envFile: existsSync(file) ? file : false, env }).vars;
}

/** Resolves environment and connection; throws naming every problem, each by its variable. */
export function resolveTarget(vars: Vars, databaseUrl: string | undefined, cwd: string): Target {
  const fromUrl = databaseUrl === undefined ? undefined : urlVariables(databaseUrl);
  const merged: Vars = fromUrl ? { ...withoutKeys(vars, URL_REPLACES), ...fromUrl.vars } : vars;
  const problems: string[] = [];
  const conn = resolveConnection(merged, problems);
  const get = (name: string): string | undefined => (merged[name] === "" ? undefined : merged[name]);
  const local = committedStack(conn.env).local !== undefined;
  if (!fromUrl && !local) {
    const missing = ["DB_HOST", "DB_NAME"].filter((k) => get(k) === undefined);
    if (get("DB_USER") === undefined && get("DB_MIGRATION_USER") === undefined) missing.push("DB_USER");
    if (missing.length > 0) {
      throw new Error(
        `${conn.env} has no local default: set ${missing.join(", ")} (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url.`,
      );
    }
  }
  if (fromUrl && !local && get("DB_USER") === undefined)
    problems.push("--database-url names no user: write it as postgresql://user:password@host:port/database.");
  // Without allowMissingServer the resolver defaults host, port and database, or says what is missing.
  const { host, port, database } = conn;
  if (host === undefined || port === undefined || database === undefined || problems.length > 0)
    throw new Error(fromUrl ? fromUrl.restate(problems.join(" ")) : problems.join(" "));
  // The defaults always match; a DB_NAME left over from another environment, or a URL's, may not.
  assertDatabaseMatches(conn.env, database, fromUrl?.database ? "the URL's database" : "DB_NAME");
  const login = commandLogin(conn, get("DB_USER") !== undefined || !local);
  // Without a password variable, a local environment uses the password file scripts/local-pg.sh writes.
  const known =
    login.password ??
    conn.pgPassword ??
    (local ? pgpassLookup(resolve(cwd, ".local/pg/pgpass"), host, port, database, login.user) : undefined);
  const base = { host, port, user: login.user, database };
  return {
    choice: { env: conn.env, source: conn.envSource },
    connection: {
      ...base,
      password: known ?? passwordFor(login, conn, describeConnection(base)),
      tls: conn.tls,
      connectionTimeoutMillis: conn.connectTimeoutMillis,
    },
    secrets: known ? [known] : [],
  };
}

/**
 * The login the command runs as: the migration login when DB_MIGRATION_USER is set, else the
 * DB_USER login, else (dev and test) the local cluster's superuser with DB_PASSWORD.
 */
function commandLogin(conn: ResolvedConnection, userSet: boolean): Login {
  if (conn.migration) return conn.migration;
  return userSet ? conn.app : { ...conn.app, user: LOCAL_ADMIN };
}

function withoutKeys(vars: Vars, keys: readonly string[]): Vars {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !keys.includes(k)));
}

/**
 * A `--database-url` as the resolver's variables, and a way to restate the resolver's problems in
 * the URL's own terms (`sslmode="x" in --database-url`, not `DB_SSLMODE="x"`).
 */
function urlVariables(databaseUrl: string): { vars: Vars; database: string; restate(text: string): string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error("--database-url is not a URL: expected postgresql://user:password@host:port/database");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:")
    throw new Error(`--database-url must start with postgresql://, not ${url.protocol}//`);
  const vars: Record<string, string> = {};
  const renames: [string, string][] = [];
  for (const [key, value] of url.searchParams) {
    const variable = URL_PARAMETERS[key];
    if (variable === undefined) {
      throw new Error(
        `--database-url has the parameter "${key}", which precog-db does not take: use only ${Object.keys(URL_PARAMETERS).join(", ")}.`,
      );
    }
    vars[variable] = value;
    renames.push([`${variable}="${value}"`, `${key}="${value}" in --database-url`]);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (url.hostname) vars.DB_HOST = decodeURIComponent(url.hostname);
  if (url.port) vars.DB_PORT = url.port;
  if (url.username) vars.DB_USER = decodeURIComponent(url.username);
  if (url.password) vars.DB_PASSWORD = decodeURIComponent(url.password);
  // The URL's database is the real target, so it decides the environment when PRECOG_ENV is unset.
  if (database) vars.DB_NAME = database;
  return {
    vars,
    database,
    restate: (text) => renames.reduce((t, [from, to]) => t.split(from).join(to), text),
  };
}

/** The password for a connection from a .pgpass-format file (`host:port:db:user:password`, `*` matches all). */
export function pgpassLookup(
  file: string,
  host: string,
  port: number,
  database: string,
  user: string,
): string | undefined {
  if (!existsSync(file)) return undefined;
  const want = [host, String(port), database, user];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const fields = line.split(/(?<!\\):/).map((f) => f.replace(/\\([:\\])/g, "$1"));
    if (fields.length < 5) continue;
    if (want.every((w, i) => fields[i] === "*" || fields[i] === w)) return fields.slice(4).join(":");
  }
  return undefined;
}
