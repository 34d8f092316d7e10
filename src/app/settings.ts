/**
 * Connection settings from environment variables (already merged with the `.env` file by
 * env-file.ts): which environment, which server, which credentials source, and the pool bounds.
 * Pure: no I/O, so every rule is tested by table. Every problem is collected and reported in one
 * error, each naming its variable, so a broken `.env` is fixed in one pass.
 *
 * Variables (all optional):
 *   PRECOG_ENV, DB_NAME   environment selection, see src/env/environment.ts
 *   DB_HOST               server host; default 127.0.0.1 for dev/test, required for staging/prod
 *   DB_PORT               TCP port, default 5432
 *   DB_NAME               database, default from ENVIRONMENT_DEFAULTS (precog_<env>)
 *   DB_USER               login role, default the environment's application role
 *   DB_PASSWORD           password; unset leaves it to libpq conventions (PGPASSWORD)
 *   DB_SECRET_ID          Secrets Manager secret (name or ARN) holding the connection instead;
 *                         DB_HOST/DB_PORT then override its host/port (e.g. the RDS Proxy endpoint)
 *   DB_POOL_MIN_CONN      connections kept open, default per environment
 *   DB_POOL_MAX_CONN      connections at most, default per environment
 *   DB_SSLMODE            disable | require | verify-full; default disable locally, verify-full on AWS
 *   DB_SSL_ROOT_CERT      CA bundle file for verify-full (the RDS bundle on AWS)
 *   DB_APPLICATION_NAME   application_name seen in pg_stat_activity, default precog-<env>
 */
import { ENVIRONMENT_DEFAULTS } from "../env/defaults";
import { selectEnvironment, type Environment, type EnvironmentSource } from "../env/environment";
import type { Vars } from "../env/env-file";

export const SSL_MODES = ["disable", "require", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** Where the login credentials come from. */
export type CredentialsSource =
  | { readonly kind: "environment"; readonly user: string; readonly password: string | undefined }
  | { readonly kind: "secret"; readonly secretId: string };

export interface ConnectionSettings {
  readonly env: Environment;
  readonly envSource: EnvironmentSource;
  /** Server host; undefined when the secret supplies it. */
  readonly host: string | undefined;
  /** TCP port; undefined when the secret supplies it. */
  readonly port: number | undefined;
  /** Database name; with a secret, DB_NAME (if set) must equal the secret's dbname. */
  readonly database: string | undefined;
  readonly credentials: CredentialsSource;
  /** DB_POOL_MIN_CONN when set, in connections; otherwise the secret's or the environment's default. */
  readonly poolMin: number | undefined;
  /** DB_POOL_MAX_CONN when set, in connections. */
  readonly poolMax: number | undefined;
  readonly sslMode: SslMode;
  readonly sslRootCert: string | undefined;
  readonly applicationName: string;
}

/** A pool's final bounds, in connections, with where the values came from. */
export interface PoolLimits {
  readonly min: number;
  readonly max: number;
}

/** Fallback bounds when the variables are unset, and how to name them in messages. */
export interface PoolFallback extends PoolLimits {
  /** e.g. "the test default" or "the secret's value". */
  readonly origin: string;
}

/** Credentials come from the secret alone; host and port may be overridden (RDS Proxy endpoint). */
const SECRET_CONFLICTS = ["DB_USER", "DB_PASSWORD"] as const;

/** Reads and checks every connection variable; throws one error listing all problems. */
export function resolveSettings(vars: Vars): ConnectionSettings {
  const { env, source } = selectEnvironment(vars);
  const defaults = ENVIRONMENT_DEFAULTS[env];
  const problems: string[] = [];
  const get = (name: string): string | undefined => (vars[name] === "" ? undefined : vars[name]);

  const secretId = get("DB_SECRET_ID");
  if (secretId !== undefined) {
    const clashes = SECRET_CONFLICTS.filter((n) => get(n) !== undefined);
    if (clashes.length > 0) {
      problems.push(
        `DB_SECRET_ID is set, so the connection comes from that secret; unset ${clashes.join(", ")} ` +
          `(a second source would be silently ignored or silently win).`,
      );
    }
  }
  let host = get("DB_HOST");
  if (host === undefined && secretId === undefined) {
    if (defaults.server === "local") host = "127.0.0.1";
    else problems.push(`DB_HOST is not set: ${env} runs on AWS, so set DB_HOST or DB_SECRET_ID.`);
  }
  const portText = get("DB_PORT");
  let port: number | undefined = secretId === undefined ? 5432 : undefined;
  if (portText !== undefined) {
    const p = parseWhole(portText);
    if (p === undefined || p < 1 || p > 65535) problems.push(`DB_PORT="${portText}" is not a TCP port (1 to 65535).`);
    else port = p;
  }
  const poolMin = parsePoolVar("DB_POOL_MIN_CONN", get("DB_POOL_MIN_CONN"), 0, problems);
  const poolMax = parsePoolVar("DB_POOL_MAX_CONN", get("DB_POOL_MAX_CONN"), 1, problems);
  if (poolMin !== undefined && poolMax !== undefined && poolMin > poolMax) {
    problems.push(`DB_POOL_MIN_CONN=${poolMin} is above DB_POOL_MAX_CONN=${poolMax}.`);
  }
  const sslText = get("DB_SSLMODE");
  let sslMode: SslMode = defaults.server === "local" ? "disable" : "verify-full";
  if (sslText !== undefined) {
    if ((SSL_MODES as readonly string[]).includes(sslText)) sslMode = sslText as SslMode;
    else problems.push(`DB_SSLMODE="${sslText}" is not one of ${SSL_MODES.join(", ")}.`);
  }
  if (problems.length > 0) throw new Error(`Invalid database settings: ${problems.join(" ")}`);

  const credentials: CredentialsSource =
    secretId !== undefined
      ? { kind: "secret", secretId }
      : { kind: "environment", user: get("DB_USER") ?? defaults.appRole, password: vars.DB_PASSWORD };
  return Object.freeze({
    env,
    envSource: source,
    host,
    port,
    database: get("DB_NAME") ?? (secretId === undefined ? defaults.database : undefined),
    credentials,
    poolMin,
    poolMax,
    sslMode,
    sslRootCert: get("DB_SSL_ROOT_CERT"),
    applicationName: get("DB_APPLICATION_NAME") ?? `precog-${env}`,
  });
}

/**
 * Final pool bounds: the variables where set, else `fallback`. Throws when min ends up above max,
 * naming the variable that was set and where the other bound came from.
 */
export function resolvePoolLimits(settings: Pick<ConnectionSettings, "poolMin" | "poolMax">, fallback: PoolFallback): PoolLimits {
  const min = settings.poolMin ?? fallback.min;
  const max = settings.poolMax ?? fallback.max;
  if (min > max) {
    if (settings.poolMin !== undefined && settings.poolMax === undefined) {
      throw new Error(
        `Invalid database settings: DB_POOL_MIN_CONN=${min} is above the pool maximum of ${max} ` +
          `(${fallback.origin}); lower it or set DB_POOL_MAX_CONN.`,
      );
    }
    if (settings.poolMax !== undefined && settings.poolMin === undefined) {
      throw new Error(
        `Invalid database settings: DB_POOL_MAX_CONN=${max} is below the pool minimum of ${min} ` +
          `(${fallback.origin}); raise it or set DB_POOL_MIN_CONN.`,
      );
    }
    throw new Error(`Invalid database settings: the pool minimum ${min} is above the maximum ${max} (${fallback.origin}).`);
  }
  return { min, max };
}

/** The per-environment fallback bounds from ENVIRONMENT_DEFAULTS. */
export function environmentPoolFallback(env: Environment): PoolFallback {
  const d = ENVIRONMENT_DEFAULTS[env];
  return { min: d.poolMin, max: d.poolMax, origin: `the ${env} default` };
}

function parsePoolVar(name: string, text: string | undefined, least: number, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (/^-\d+$/.test(text.trim())) {
    problems.push(`${name}="${text}" is negative: use a whole number of connections, at least ${least}.`);
    return undefined;
  }
  const n = parseWhole(text);
  if (n === undefined) {
    problems.push(`${name}="${text}" is not a whole number of connections.`);
    return undefined;
  }
  if (n < least) {
    problems.push(`${name}=${n} is below ${least}: a pool needs at least ${least} connection${least === 1 ? "" : "s"} here.`);
    return undefined;
  }
  return n;
}

/** Digits only (no sign, point, exponent or spaces), within the safe integer range. */
function parseWhole(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
