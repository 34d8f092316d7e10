/**
 * Where the command points: the environment (PRECOG_ENV, else DB_NAME, else dev, by the shared
 * rules in src/env) and the connection, from `--database-url` or the seed's variables DB_HOST,
 * DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, read from the process environment or a `.env` file
 * (the process environment wins). Dev and test default to the local cluster of
 * scripts/local-pg.sh; staging and prod have no defaults.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ENVIRONMENT_DEFAULTS, LOCAL_SERVER } from "../env/defaults";
import { loadVars as loadEnvFile } from "../env/env-file";
import { assertDatabaseMatches, type EnvironmentChoice, selectEnvironment } from "../env/environment";
import type { Connection } from "../migrate/pg";

export type Vars = Readonly<Record<string, string | undefined>>;

export interface Target {
  readonly choice: EnvironmentChoice;
  readonly connection: Connection;
  /** Secret values to scrub from anything printed, whatever path they take. */
  readonly secrets: readonly string[];
}

/**
 * Process environment over `<cwd>/.env`, read by the loader the application uses (src/env), so
 * the command and the app agree on every line of the file.
 */
export function loadVars(cwd: string, env: Vars = process.env): Vars {
  const file = join(cwd, ".env");
  return loadEnvFile({ envFile: existsSync(file) ? file : false, env }).vars;
}

/** Resolves environment and connection; throws naming every missing variable. */
export function resolveTarget(vars: Vars, databaseUrl: string | undefined, cwd: string): Target {
  if (databaseUrl) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new Error("--database-url is not a URL: expected postgresql://user:password@host:port/database");
    }
    if (url.protocol !== "postgresql:" && url.protocol !== "postgres:")
      throw new Error(`--database-url must start with postgresql://, not ${url.protocol}//`);
    // The URL's database is the real target, so it decides the environment when PRECOG_ENV is unset.
    const dbName = decodeURIComponent(url.pathname.replace(/^\//, ""));
    const choice = selectEnvironment({ ...vars, DB_NAME: dbName || vars.DB_NAME });
    assertDatabaseMatches(choice.env, dbName || vars.DB_NAME, dbName ? "the URL's database" : "DB_NAME");
    return {
      choice,
      connection: databaseUrl,
      secrets: url.password ? [url.password, decodeURIComponent(url.password)] : [],
    };
  }
  // An empty variable counts as unset, as in the application (src/app/settings.ts): `DB_PORT=` in
  // a .env file is a blank, not a port.
  const get = (name: string): string | undefined => (vars[name] === "" ? undefined : vars[name]);
  const choice = selectEnvironment(vars);
  const defaults = ENVIRONMENT_DEFAULTS[choice.env];
  const local = defaults.server === "local";
  const missing = ["DB_HOST", "DB_NAME", "DB_USER"].filter((k) => get(k) === undefined && !local);
  if (missing.length > 0) {
    throw new Error(
      `${choice.env} has no local default: set ${missing.join(", ")} (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url.`,
    );
  }
  const port = Number(get("DB_PORT") ?? (local ? LOCAL_SERVER.port : 5432));
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`DB_PORT="${vars.DB_PORT}" is not a port number.`);
  const host = get("DB_HOST") ?? LOCAL_SERVER.host;
  const user = get("DB_USER") ?? "postgres";
  const database = get("DB_NAME") ?? defaults.database;
  // The defaults always match; a DB_NAME left over from another environment may not.
  assertDatabaseMatches(choice.env, database, "DB_NAME");
  // Without DB_PASSWORD, a local environment uses the password file scripts/local-pg.sh writes.
  const password =
    vars.DB_PASSWORD ||
    (local ? pgpassLookup(resolve(cwd, ".local/pg/pgpass"), host, port, database, user) : undefined);
  return {
    choice,
    connection: { host, port, user, database, ...(password ? { password } : {}) },
    secrets: password ? [password] : [],
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
