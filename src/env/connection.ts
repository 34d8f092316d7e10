/**
 * The one connection resolver for the application's pool and the precog-db command: which server,
 * which database, which logins (the application's and the migrator's), which TLS mode, how
 * long to wait for the server. Pure (no I/O): it turns variables, already merged with `.env` by
 * env-file.ts, into checked settings, and collects every problem, each naming its variable, for the
 * caller to report at once. tls.ts turns the result into a pg connection and explains failures.
 *
 * Variables (an empty value counts as unset):
 *   PRECOG_ENV, DB_NAME          environment selection (environment.ts)
 *   DB_HOST                      server; default precog:local.host for local environments, else required
 *                                (unless the caller's secret supplies it)
 *   DB_PORT                      TCP port, digits only, 1 to 65535; default precog:local.port locally, 5432 on AWS
 *   DB_NAME                      database; default the environment's (precog:database)
 *   DB_USER / DB_PASSWORD        the application's login; user default the environment's app role (precog:roles.app.name)
 *   DB_MIGRATION_USER / DB_MIGRATION_PASSWORD
 *                                the migration (migrator) login, for the command; unset when DB_MIGRATION_USER is
 *   DB_SSLMODE                   disable | allow | prefer | require | verify-ca | verify-full, as libpq;
 *                                default disable locally, verify-full on AWS
 *   DB_SSL_ROOT_CERT             CA bundle file (PEM) for require, verify-ca and verify-full
 *   DB_CONNECT_TIMEOUT           seconds to wait for the server to answer a new connection, 1 to 600; default 10
 *   PGPASSWORD                   used when the login's own password variable is unset, as libpq does
 *
 * The defaults are the environment's committed stack file's (Pulumi.<env>.yaml, src/config/stack-file.ts).
 */
import { committedStack } from "../config/stack-file";
import type { Vars } from "./env-file";
import { type Environment, type EnvironmentSource, selectEnvironment } from "./environment";
import { SSL_MODES, type SslMode } from "./ssl-modes";

/** Connect timeout bounds and default, in seconds. */
export const CONNECT_TIMEOUT_SECONDS = Object.freeze({ min: 1, max: 600, default: 10 });

/** A login role, with the variables it came from for messages. */
export interface Login {
  readonly user: string;
  /** The password variable's value; undefined when it is unset (PGPASSWORD is tried at connect time). */
  readonly password: string | undefined;
  /** The variable that holds (or should hold) the password, e.g. DB_PASSWORD. */
  readonly passwordVariable: string;
}

export interface TlsSettings {
  readonly mode: SslMode;
  /** CA bundle path (DB_SSL_ROOT_CERT); undefined for the system's CAs. */
  readonly rootCert: string | undefined;
}

export interface ResolvedConnection {
  readonly env: Environment;
  readonly envSource: EnvironmentSource;
  /** Server host; undefined only when `allowMissingServer` was set and DB_HOST is unset. */
  readonly host: string | undefined;
  /** TCP port; undefined only when `allowMissingServer` was set and DB_PORT is unset. */
  readonly port: number | undefined;
  /** Database name: DB_NAME, else the environment's default unless `allowMissingServer`. */
  readonly database: string | undefined;
  /** The application's login (DB_USER / DB_PASSWORD). */
  readonly app: Login;
  /** The migration login (DB_MIGRATION_USER / DB_MIGRATION_PASSWORD), when DB_MIGRATION_USER is set. */
  readonly migration: Login | undefined;
  readonly tls: TlsSettings;
  /** How long a new connection may take to be answered, in milliseconds. */
  readonly connectTimeoutMillis: number;
  /** PGPASSWORD, the fallback for a login without its own password variable. */
  readonly pgPassword: string | undefined;
}

export interface ResolveConnectionOptions {
  /**
   * Something else (a Secrets Manager secret) supplies host, port and database: do not require
   * DB_HOST on AWS environments nor default them.
   */
  readonly allowMissingServer?: boolean;
  /** A variable that can stand in for DB_HOST, named in its message (the app's DB_SECRET_ID). */
  readonly hostAlternative?: string;
}

/**
 * Reads and checks the connection variables. Pushes a sentence per problem onto `problems` (and
 * returns best-effort values); throws only for environment-selection errors.
 */
export function resolveConnection(
  vars: Vars,
  problems: string[],
  options: ResolveConnectionOptions = {},
): ResolvedConnection {
  const { env, source } = selectEnvironment(vars);
  // The committed stack file gives the defaults, and is read only when a default is needed: a
  // deployed app with every variable set runs without the project's files.
  let committed: ReturnType<typeof committedStack> | undefined;
  const stack = () => (committed ??= committedStack(env));
  const get = (name: string): string | undefined => (vars[name] === "" ? undefined : vars[name]);
  const defaulted = !options.allowMissingServer;

  let host = get("DB_HOST");
  if (host === undefined && defaulted) {
    const local = stack().local;
    if (local) host = local.host;
    else
      problems.push(
        `DB_HOST is not set: ${env} runs on AWS, so set DB_HOST${options.hostAlternative ? ` or ${options.hostAlternative}` : ""}.`,
      );
  }
  const portText = get("DB_PORT");
  let port: number | undefined;
  if (portText !== undefined) {
    const p = parseDigits(portText);
    if (p === undefined || p < 1 || p > 65535)
      problems.push(`DB_PORT="${portText}" is not a TCP port: use digits only, 1 to 65535.`);
    else port = p;
  }
  if (port === undefined && defaulted) port = stack().local?.port ?? 5432;

  const migrationUser = get("DB_MIGRATION_USER");
  if (migrationUser === undefined && get("DB_MIGRATION_PASSWORD") !== undefined) {
    problems.push(
      "DB_MIGRATION_PASSWORD is set without DB_MIGRATION_USER: set the migration login's user too, or unset both.",
    );
  }

  const sslText = get("DB_SSLMODE");
  let mode: SslMode | undefined;
  if (sslText !== undefined) {
    if ((SSL_MODES as readonly string[]).includes(sslText)) mode = sslText as SslMode;
    else problems.push(`DB_SSLMODE="${sslText}" is not one of ${SSL_MODES.join(", ")}.`);
  }
  mode ??= stack().local !== undefined ? "disable" : "verify-full";

  const timeoutText = get("DB_CONNECT_TIMEOUT");
  let timeoutSeconds: number = CONNECT_TIMEOUT_SECONDS.default;
  if (timeoutText !== undefined) {
    const t = parseDigits(timeoutText);
    const { min, max } = CONNECT_TIMEOUT_SECONDS;
    if (t === undefined || t < min || t > max) {
      problems.push(
        `DB_CONNECT_TIMEOUT="${timeoutText}" is not a connect timeout: use whole seconds, ${min} to ${max}.`,
      );
    } else timeoutSeconds = t;
  }

  return Object.freeze({
    env,
    envSource: source,
    host,
    port,
    database: get("DB_NAME") ?? (defaulted ? stack().database : undefined),
    app: {
      user: get("DB_USER") ?? stack().roles.app.name,
      password: get("DB_PASSWORD"),
      passwordVariable: "DB_PASSWORD",
    },
    migration:
      migrationUser === undefined
        ? undefined
        : { user: migrationUser, password: get("DB_MIGRATION_PASSWORD"), passwordVariable: "DB_MIGRATION_PASSWORD" },
    tls: { mode, rootCert: get("DB_SSL_ROOT_CERT") },
    connectTimeoutMillis: timeoutSeconds * 1000,
    pgPassword: get("PGPASSWORD"),
  });
}

/** Digits only (no sign, point, exponent or spaces), within the safe integer range. */
export function parseDigits(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
