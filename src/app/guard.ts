/**
 * Guards for dangerous operations: statements that wipe whole tables, such as the strategy's
 * `delete_all_positions`. They are handy in dev and test and a disaster on staging or prod, so
 * they run only where the data is throwaway. The check happens at call time, not at import, so a
 * process that switches environment cannot carry a stale permission.
 */
import { ENVIRONMENTS, getEnvironment, isEnvironment, PROTECTED_ENVIRONMENTS, type Environment } from "../env/environment";
import type { Vars } from "../env/env-file";

/** The environments in which dangerous operations may run: every one not protected (dev, test). */
export const DANGEROUS_ALLOWED: readonly Environment[] = ENVIRONMENTS.filter((e) => !PROTECTED_ENVIRONMENTS.includes(e));

/** Throws unless `env` is dev or test, naming the operation and saying what to do instead. */
export function assertDangerousAllowed(operation: string, env: Environment): void {
  if (!DANGEROUS_ALLOWED.includes(env)) {
    throw new Error(
      `Refusing to run ${operation} on ${env}: operations that touch every row run only in ` +
        `${DANGEROUS_ALLOWED.join(" and ")}. Use a targeted statement instead (a DELETE or UPDATE ` +
        `whose WHERE clause names the rows, e.g. by id or market).`,
    );
  }
}

/**
 * Wraps `fn` so that every call first checks the environment of its first argument (a
 * `PrecogPool`, or anything with an `environment`), or else of the process environment.
 *
 * ```ts
 * export const deleteAllPositions = dangerousOperation("delete_all_positions",
 *   async (pool: PrecogPool) => (await pool.query("DELETE FROM positions")).rowCount);
 * ```
 */
export function dangerousOperation<A extends unknown[], R>(
  operation: string,
  fn: (...args: A) => Promise<R>,
  vars: Vars = process.env,
): (...args: A) => Promise<R> {
  const guarded = async (...args: A): Promise<R> => {
    assertDangerousAllowed(operation, environmentOf(args[0], vars));
    return fn(...args);
  };
  Object.defineProperty(guarded, "name", { value: operation });
  return guarded;
}

function environmentOf(first: unknown, vars: Vars): Environment {
  if (typeof first === "object" && first !== null && "environment" in first) {
    const env = (first as { environment: unknown }).environment;
    if (typeof env === "string" && isEnvironment(env)) return env;
  }
  return getEnvironment(vars);
}
