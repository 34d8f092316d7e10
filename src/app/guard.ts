/**
 * Guards for dangerous operations: statements that wipe whole tables, such as the strategy's
 * `delete_all_positions`. They are handy in dev and test and a disaster on staging or prod, so
 * they run only where the data is throwaway. The check happens at call time, not at import, so a
 * process that switches environment cannot carry a stale permission.
 *
 * It fails closed: the target is worked out from the database handles among the arguments
 * (whatever their position, or one level inside an options object), from each handle's own
 * connection settings, never from the process environment (which says dev whenever nothing is
 * set). Every handle must be established as dev or test, and there must be at least one:
 * - a `PrecogPool`, or a client taken from one: the environment the pool was opened for (by
 *   openPool's rules and guards), provided its database name does not point at another one;
 * - any other `pg.Pool` or `pg.Client`: only a database whose name makes it a test database
 *   (contains "test" and no other environment's name); a name that points nowhere proves nothing;
 * - anything else that can query (or a look-alike with an `environment` field) is refused.
 * Then each handle's database must prove it is throwaway: the marker a dev or test stack writes on
 * it, or the test configuration's opt-in by name (src/env/database-marker.ts). A pool opened for
 * dev by default on `precog_latest` is refused there.
 */
import { Client, Pool } from "pg";
import { assertThrowawayDatabase } from "../env/database-marker";
import { ENVIRONMENTS, type Environment, environmentNamedBy, PROTECTED_ENVIRONMENTS } from "../env/environment";
import { PrecogPool, precogPoolOf } from "./pool";

/** The environments in which dangerous operations may run: every one not protected (dev, test). */
export const DANGEROUS_ALLOWED: readonly Environment[] = ENVIRONMENTS.filter(
  (e) => !PROTECTED_ENVIRONMENTS.includes(e),
);

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
 * Wraps `fn` so that every call first establishes, from the database handles among its arguments,
 * that it targets dev or test (see the module header), and refuses otherwise.
 *
 * ```ts
 * export const deleteAllPositions = dangerousOperation("delete_all_positions",
 *   async (pool: PrecogPool) => (await pool.query("DELETE FROM positions")).rowCount);
 * ```
 */
export function dangerousOperation<A extends unknown[], R>(
  operation: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  const guarded = async (...args: A): Promise<R> => {
    await assertDangerousTarget(operation, args);
    return fn(...args);
  };
  Object.defineProperty(guarded, "name", { value: operation });
  return guarded;
}

/**
 * Rejects unless there is a database handle in `args` and every one is established as dev or test,
 * by its settings and then by its database's marker (or opt-in).
 */
export async function assertDangerousTarget(operation: string, args: readonly unknown[]): Promise<void> {
  const handles = findHandles(args);
  if (handles.length === 0) {
    throw new Error(
      `Refusing to run ${operation}: none of its arguments is a database pool or client, so its target cannot be ` +
        `established as dev or test. Pass the pool (openPool's PrecogPool) or a client taken from it as an argument.`,
    );
  }
  for (const { where, handle } of handles)
    assertDangerousAllowed(operation, environmentOfHandle(operation, where, handle));
  for (const { handle } of handles)
    await assertThrowawayDatabase(handle as Parameters<typeof assertThrowawayDatabase>[0], operation);
}

interface FoundHandle {
  /** "argument 2", "argument 1's db", for messages. */
  readonly where: string;
  readonly handle: object;
}

function isHandle(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { query?: unknown; connect?: unknown; environment?: unknown };
  return typeof v.query === "function" || typeof v.connect === "function" || "environment" in v;
}

/** Handles among the arguments, and one level inside plain objects and arrays among them. */
function findHandles(args: readonly unknown[]): FoundHandle[] {
  const found: FoundHandle[] = [];
  args.forEach((arg, i) => {
    const where = `argument ${i + 1}`;
    if (isHandle(arg)) found.push({ where, handle: arg });
    else if (Array.isArray(arg)) {
      for (const [j, v] of arg.entries()) if (isHandle(v)) found.push({ where: `${where}[${j}]`, handle: v });
    } else if (typeof arg === "object" && arg !== null && Object.getPrototypeOf(arg) === Object.prototype) {
      for (const [k, v] of Object.entries(arg)) if (isHandle(v)) found.push({ where: `${where}'s ${k}`, handle: v });
    }
  });
  return found;
}

/** The environment a handle is established to reach; throws when it cannot be established. */
function environmentOfHandle(operation: string, where: string, handle: object): Environment {
  const precog = handle instanceof PrecogPool ? handle : handle instanceof Client ? precogPoolOf(handle) : undefined;
  const database = databaseOf(handle);
  if (precog !== undefined) {
    const named = environmentNamedBy(database ?? precog.target.database, `the database of ${where}`);
    // A pool opened for dev cannot have drifted onto a prod-named database, but a hand-made one could.
    return named !== undefined && named !== precog.environment ? named : precog.environment;
  }
  const named = databaseNamed(database, where);
  if (named !== undefined) return named;
  const kind =
    handle instanceof Pool
      ? "a pg.Pool"
      : handle instanceof Client
        ? "a pg.Client"
        : "an object that is not a pg pool or client";
  const on = database === undefined ? "" : ` on database "${database}", which names no environment`;
  throw new Error(
    `Refusing to run ${operation}: cannot establish that its target is a dev or test database (${where} is ${kind}${on}). ` +
      `Pass a pool opened with openPool for dev or test, or a client taken from one; a plain pg pool or client only ` +
      `on a database whose name contains "test".`,
  );
}

/** The database a plain pg handle connects to, as pg resolves it; undefined for anything else. */
function databaseOf(handle: object): string | undefined {
  if (handle instanceof Client) return handle.database;
  if (handle instanceof Pool) return new Client(handle.options).database;
  return undefined;
}

/** The environment a database name establishes for a plain handle: test, staging or prod, or none. */
function databaseNamed(database: string | undefined, where: string): Environment | undefined {
  if (database === undefined) return undefined;
  try {
    return environmentNamedBy(database, `the database of ${where}`);
  } catch {
    return "prod"; // names two environments: assume the worst
  }
}
