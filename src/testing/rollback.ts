/**
 * Per-test transactions that always roll back: the test gets a client inside BEGIN, and whatever
 * happens (the test passes, fails or throws) the transaction is rolled back, the session reset and
 * the connection returned. Each test holds its own connection, so tests in other vitest workers
 * never see its uncommitted rows: that is the fixtures' parallel safety.
 *
 * A test that ends the transaction itself (COMMIT, END, ROLLBACK then more work, COMMIT; BEGIN)
 * would defeat this, so it fails, with its own error too if it threw one. transaction-watch.ts sees
 * it in the server's replies (command tags and transaction status), even when the test then
 * catches an error and leaves the new transaction aborted. A second, independent check marks the
 * transaction with a transaction-local setting holding a random token (`set_config(..., true)`,
 * gone when the transaction ends, kept across SAVEPOINTs) and asks for it when the test returns.
 * Use SAVEPOINTs inside tests instead.
 *
 * Afterwards the session is reset with DISCARD ALL (session advisory locks, prepared statements,
 * settings, temporary tables, LISTENs: what a ROLLBACK keeps), so the next test on the connection
 * starts clean. A connection that was lost (backend terminated, idle timeout, restart) or cannot be
 * rolled back and reset is destroyed, not returned to the pool, and withRollback rejects.
 */
import { randomBytes } from "node:crypto";
import type { PoolClient } from "pg";
import { assertTestDatabase } from "./environment";
import { type TransactionWatch, watchTransaction } from "./transaction-watch";

/** Anything that hands out pooled clients: `pg.Pool`, `PrecogPool`. */
export interface Connectable {
  connect(): Promise<PoolClient>;
}

/** SQLSTATE of a statement in a transaction that has already failed (in_failed_sql_transaction). */
const ABORTED = "25P02";
/** The transaction-local setting that marks withRollback's own transaction. */
const MARKER = "precog_db.with_rollback";

const USE_SAVEPOINTS = "Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.";
const REPLACED =
  "The test ended withRollback's transaction and began another (COMMIT or ROLLBACK, then BEGIN), so its earlier writes " +
  `may have been committed. ${USE_SAVEPOINTS}`;
const ENDED = `The test ended withRollback's transaction itself (COMMIT or ROLLBACK), so its writes may have been committed. ${USE_SAVEPOINTS}`;

type Outcome<T> = { readonly value: T } | { readonly error: unknown };

/**
 * Runs `fn` with a client inside a transaction that is always rolled back. Refuses non-test
 * databases (see `assertTestDatabase`). Rejects with `fn`'s error if it threw.
 */
export async function withRollback<T>(pool: Connectable, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const watch = watchTransaction(client);
  const token = randomBytes(8).toString("hex");
  let outcome: Outcome<T>;
  let replaced = false;
  try {
    await assertTestDatabase(client);
    await client.query("BEGIN");
    await client.query("SELECT set_config($1, $2, true)", [MARKER, token]);
  } catch (error) {
    await reset(client, watch);
    throw watch.lost !== undefined ? lostError(watch.lost, false) : error;
  }
  watch.arm();
  try {
    outcome = { value: await fn(client) };
    replaced = !(await stillMarked(client, token));
  } catch (error) {
    outcome = { error };
  }
  watch.disarm();
  const ended = watch.ended;
  // Without a tag to go by, a missing marker alone means "replaced" only if nothing says "ended".
  const began = watch.began || (replaced && !ended);
  const failure = await reset(client, watch);

  if (watch.lost !== undefined) throw lostError(watch.lost, ended);
  if (failure !== undefined)
    throw new Error(`withRollback could not roll back and reset its connection: ${failure.message}`, {
      cause: failure,
    });
  if (began) throw alongside(REPLACED, outcome);
  if (ended) throw alongside(ENDED, outcome);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/**
 * Rolls back and resets the session, then releases the client: destroyed (released with an
 * error) when it was lost or the reset failed. Returns the reset's failure, if any.
 */
async function reset(client: PoolClient, watch: TransactionWatch): Promise<Error | undefined> {
  let failure: Error | undefined;
  if (watch.lost === undefined) {
    try {
      await client.query("ROLLBACK");
      await client.query("DISCARD ALL");
      forgetPreparedStatements(client);
    } catch (err) {
      failure = err as Error;
    }
  }
  const destroy = watch.lost ?? failure;
  watch.stop();
  client.release(destroy);
  return destroy === watch.lost ? undefined : failure;
}

/** DISCARD ALL dropped the server's prepared statements: pg must not believe its named ones still exist. */
function forgetPreparedStatements(client: PoolClient): void {
  const connection = (
    client as unknown as { connection: { parsedStatements: object; submittedNamedStatements: object } }
  ).connection;
  connection.parsedStatements = {};
  connection.submittedNamedStatements = {};
}

function lostError(cause: Error, ended: boolean): Error {
  const writes = ended
    ? "the test had ended the transaction itself before that, so its earlier writes may have been committed."
    : "the test's writes were never committed.";
  return new Error(
    `withRollback's connection was lost during the test (${cause.message}); it was discarded, and ${writes}`,
    { cause },
  );
}

/** `message`, plus the test's own error when it threw one (kept as the cause). */
function alongside(message: string, outcome: Outcome<unknown>): Error {
  if (!("error" in outcome)) return new Error(message);
  const e = outcome.error;
  return new Error(`${message} The test also failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** True while `client` is still in the transaction marked with `token` (or one that has failed). */
async function stillMarked(client: PoolClient, token: string): Promise<boolean> {
  try {
    const { rows } = await client.query<{ v: string | null }>("SELECT current_setting($1, true) AS v", [MARKER]);
    return rows[0].v === token;
  } catch (err) {
    if ((err as { code?: string }).code === ABORTED) return true;
    throw err;
  }
}
