/**
 * Per-test transactions that always roll back: the test gets a client inside BEGIN, and whatever
 * happens (the test passes, fails or throws) the transaction is rolled back and the connection
 * returned. Each test holds its own connection, so tests in other vitest workers never see its
 * uncommitted rows: that is the fixtures' parallel safety.
 *
 * A test that ends the transaction itself (COMMIT, or ROLLBACK followed by more writes) would
 * defeat this, so it is detected: the final ROLLBACK then finds no transaction, the server says
 * so (SQLSTATE 25P01), and `withRollback` fails the test. A test that then opens a new one
 * (`COMMIT; BEGIN`) leaves the final ROLLBACK something to roll back, so that alone would miss it:
 * the transaction is therefore marked with a transaction-local setting holding a random token
 * (`set_config(..., true)`, undone when the transaction ends, kept across SAVEPOINTs), and a test
 * that returns without the token in place has replaced the transaction and fails. Use SAVEPOINTs
 * inside tests instead. (A test that leaves the transaction aborted cannot be asked; it is rolled
 * back as usual.)
 */
import { randomBytes } from "node:crypto";
import type { PoolClient } from "pg";
import { assertTestDatabase } from "./environment";

/** Anything that hands out pooled clients: `pg.Pool`, `PrecogPool`. */
export interface Connectable {
  connect(): Promise<PoolClient>;
}

/** SQLSTATE of the warning for ROLLBACK outside a transaction (no_active_sql_transaction). */
const NO_TRANSACTION = "25P01";
/** SQLSTATE of a statement in a transaction that has already failed (in_failed_sql_transaction). */
const ABORTED = "25P02";
/** The transaction-local setting that marks withRollback's own transaction. */
const MARKER = "precog_db.with_rollback";

/**
 * Runs `fn` with a client inside a transaction that is always rolled back. Refuses non-test
 * databases (see `assertTestDatabase`). Rejects with `fn`'s error if it threw.
 */
export async function withRollback<T>(pool: Connectable, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let destroy: Error | undefined;
  let endedByTest = false;
  let replacedByTest = false;
  const onNotice = (n: { code?: string }) => {
    if (n.code === NO_TRANSACTION) endedByTest = true;
  };
  const token = randomBytes(8).toString("hex");
  let result: T;
  try {
    await assertTestDatabase(client);
    await client.query("BEGIN");
    await client.query("SELECT set_config($1, $2, true)", [MARKER, token]);
    client.on("notice", onNotice);
    result = await fn(client);
    replacedByTest = !(await stillMarked(client, token));
  } finally {
    try {
      await client.query("ROLLBACK");
    } catch (err) {
      destroy = err as Error; // a connection that cannot roll back must not go back to the pool
    }
    client.off("notice", onNotice);
    client.release(destroy);
  }
  if (destroy !== undefined) throw new Error(`withRollback could not roll back: ${destroy.message}`, { cause: destroy });
  if (replacedByTest && !endedByTest) {
    throw new Error(
      "The test ended withRollback's transaction and began another (COMMIT or ROLLBACK, then BEGIN), so its earlier writes " +
        "may have been committed. Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.",
    );
  }
  if (endedByTest) {
    throw new Error(
      "The test ended withRollback's transaction itself (COMMIT or ROLLBACK), so its writes may have been committed. " +
        "Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.",
    );
  }
  return result;
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
