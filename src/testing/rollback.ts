/**
 * Per-test transactions that always roll back: the test gets a client inside BEGIN, and whatever
 * happens (the test passes, fails or throws) the transaction is rolled back and the connection
 * returned. Each test holds its own connection, so tests in other vitest workers never see its
 * uncommitted rows: that is the fixtures' parallel safety.
 *
 * A test that ends the transaction itself (COMMIT, or ROLLBACK followed by more writes) would
 * defeat this, so it is detected: the final ROLLBACK then finds no transaction, the server says
 * so (SQLSTATE 25P01), and `withRollback` fails the test. Use SAVEPOINTs inside tests instead.
 */
import type { PoolClient } from "pg";
import { assertTestDatabase } from "./environment";

/** Anything that hands out pooled clients: `pg.Pool`, `PrecogPool`. */
export interface Connectable {
  connect(): Promise<PoolClient>;
}

/** SQLSTATE of the warning for ROLLBACK outside a transaction (no_active_sql_transaction). */
const NO_TRANSACTION = "25P01";

/**
 * Runs `fn` with a client inside a transaction that is always rolled back. Refuses non-test
 * databases (see `assertTestDatabase`). Rejects with `fn`'s error if it threw.
 */
export async function withRollback<T>(pool: Connectable, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let destroy: Error | undefined;
  let endedByTest = false;
  const onNotice = (n: { code?: string }) => {
    if (n.code === NO_TRANSACTION) endedByTest = true;
  };
  let result: T;
  try {
    await assertTestDatabase(client);
    await client.query("BEGIN");
    client.on("notice", onNotice);
    result = await fn(client);
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
  if (endedByTest) {
    throw new Error(
      "The test ended withRollback's transaction itself (COMMIT or ROLLBACK), so its writes may have been committed. " +
        "Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.",
    );
  }
  return result;
}
