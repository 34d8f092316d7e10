/**
 * The pool's two bounded waits, and the backoff they share:
 * - a new connection refused for its password (28P01) re-reads the credentials (the Secrets Manager
 *   secret or the `.env` file) and tries again, with backoff, until `authRetryMillis` has passed.
 *   A rotation changes the role's password and makes the new one readable as two steps (the RDS
 *   rotation function's setSecret then finishSecret; `precog-db rotate`'s file then ALTER ROLE),
 *   and a connection opened between them must not fail;
 * - a new connection refused because the role is at its CONNECTION LIMIT (53300) waits for one
 *   of the pool's own connections to come free, until `connectionLimitWaitMillis` has passed.
 */

/** SQLSTATE invalid_password. */
export const AUTH_FAILED = "28P01";
/** SQLSTATE too_many_connections: the role's CONNECTION LIMIT, or the server's max_connections. */
export const TOO_MANY_CONNECTIONS = "53300";

export interface PoolWaits {
  /** How long a connection refused for its password keeps re-reading the credentials and retrying, in ms. */
  readonly authRetryMillis: number;
  /** How long a connection refused at the role's connection limit waits for one of the pool's own, in ms. */
  readonly connectionLimitWaitMillis: number;
}

export const DEFAULT_WAITS: PoolWaits = Object.freeze({ authRetryMillis: 15_000, connectionLimitWaitMillis: 30_000 });

/** How long the pool stops growing at its own connections after a refusal at the connection limit, in ms. */
export const LIMIT_CAP_HOLD_MILLIS = 1_000;

/** The delay before retry number `attempt` (0 first): none, then 100 ms doubling up to 2 s. */
export function backoffMillis(attempt: number): number {
  return attempt === 0 ? 0 : Math.min(2_000, 100 * 2 ** (attempt - 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** The SQLSTATE of a pg error, or undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Checks an option: a whole number of milliseconds, 0 or more. */
export function resolveWaits(given: Partial<PoolWaits>): PoolWaits {
  const out = { ...DEFAULT_WAITS };
  for (const key of Object.keys(DEFAULT_WAITS) as (keyof PoolWaits)[]) {
    const v = given[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0)
      throw new Error(`openPool option ${key} must be a whole number of milliseconds, 0 or more (got ${v}).`);
    out[key] = v;
  }
  return out;
}
