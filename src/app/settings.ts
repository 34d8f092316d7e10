/**
 * The application's connection settings: the shared connection resolver (src/env/connection.ts:
 * server, database, logins, TLS mode, connect timeout) plus what only the pool has: the Secrets
 * Manager secret, the pool bounds and the application name. Pure: no I/O, so every rule is tested
 * by table. Every problem is collected and reported in one error, each naming its variable, so a
 * broken `.env` is fixed in one pass.
 *
 * Variables of the pool (the connection's are listed in src/env/connection.ts):
 *   DB_SECRET_ID          Secrets Manager secret (name or ARN) holding the connection instead;
 *                         DB_HOST/DB_PORT then override its host/port (e.g. the RDS Proxy endpoint)
 *   DB_POOL_MIN_CONN      connections kept open, default the environment's precog:pool.min
 *   DB_POOL_MAX_CONN      connections at most, default the environment's precog:pool.max
 *   DB_APPLICATION_NAME   application_name seen in pg_stat_activity, default precog-<env>
 */

import { committedStack } from "../config/stack-file";
import { parseDigits, type ResolvedConnection, resolveConnection } from "../env/connection";
import type { Vars } from "../env/env-file";
import type { Environment } from "../env/environment";

export { SSL_MODES, type SslMode } from "../env/ssl-modes";

/** Where the login credentials come from. */
export type CredentialsSource =
  | { readonly kind: "environment"; readonly user: string; readonly password: string | undefined }
  | { readonly kind: "secret"; readonly secretId: string };

export interface ConnectionSettings extends ResolvedConnection {
  readonly credentials: CredentialsSource;
  /** DB_POOL_MIN_CONN when set, in connections; otherwise the secret's tag or the environment's default. */
  readonly poolMin: number | undefined;
  /** DB_POOL_MAX_CONN when set, in connections. */
  readonly poolMax: number | undefined;
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
  const connection = resolveConnection(vars, problems, {
    allowMissingServer: secretId !== undefined,
    hostAlternative: "DB_SECRET_ID",
  });
  const poolMin = parsePoolVar("DB_POOL_MIN_CONN", get("DB_POOL_MIN_CONN"), 0, problems);
  const poolMax = parsePoolVar("DB_POOL_MAX_CONN", get("DB_POOL_MAX_CONN"), 1, problems);
  if (poolMin !== undefined && poolMax !== undefined && poolMin > poolMax) {
    problems.push(`DB_POOL_MIN_CONN=${poolMin} is above DB_POOL_MAX_CONN=${poolMax}.`);
  }
  if (problems.length > 0) throw new Error(`Invalid database settings: ${problems.join(" ")}`);

  const credentials: CredentialsSource =
    secretId !== undefined
      ? { kind: "secret", secretId }
      : { kind: "environment", user: connection.app.user, password: connection.app.password };
  return Object.freeze({
    ...connection,
    credentials,
    poolMin,
    poolMax,
    applicationName: get("DB_APPLICATION_NAME") ?? `precog-${connection.env}`,
  });
}

/**
 * Final pool bounds: the variables where set, else `fallback`. Throws when min ends up above max,
 * naming the variable that was set and where the other bound came from.
 */
export function resolvePoolLimits(
  settings: Pick<ConnectionSettings, "poolMin" | "poolMax">,
  fallback: PoolFallback,
): PoolLimits {
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
    throw new Error(
      `Invalid database settings: the pool minimum ${min} is above the maximum ${max} (${fallback.origin}).`,
    );
  }
  return { min, max };
}

/** The fallback bounds: the environment's precog:pool in its committed stack file, Pulumi.<env>.yaml. */
export function environmentPoolFallback(env: Environment): PoolFallback {
  // Read only when a bound is taken from it: with DB_POOL_MIN_CONN and DB_POOL_MAX_CONN set, the
  // deployed app runs without the project's files.
  const pool = () => committedStack(env).pool;
  return {
    get min() {
      return pool().min;
    },
    get max() {
      return pool().max;
    },
    origin: `the ${env} default`,
  };
}

function parsePoolVar(name: string, text: string | undefined, least: number, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (/^-\d+$/.test(text.trim())) {
    problems.push(`${name}="${text}" is negative: use a whole number of connections, at least ${least}.`);
    return undefined;
  }
  const n = parseDigits(text);
  if (n === undefined) {
    problems.push(`${name}="${text}" is not a whole number of connections.`);
    return undefined;
  }
  if (n < least) {
    problems.push(
      `${name}=${n} is below ${least}: a pool needs at least ${least} connection${least === 1 ? "" : "s"} here.`,
    );
    return undefined;
  }
  return n;
}
