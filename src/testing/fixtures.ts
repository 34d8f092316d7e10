/**
 * The vitest side: a test pool that can only reach a test database, and `dbTest`, a `test`
 * extended with two fixtures: `pool` (one per test file, closed after it) and `db` (a client in a
 * per-test transaction that always rolls back; see rollback.ts).
 *
 * ```ts
 * import { test } from "vitest";
 * const it = dbTest(test);
 * it("books a trade", async ({ db }) => { await db.query("INSERT ..."); ... });
 * ```
 *
 * vitest is taken as an argument (only its types are imported), so this module loads without
 * vitest installed, and the caller's own `test` (with its own extensions) is the one extended.
 */
import type { PoolClient } from "pg";
import type { TestAPI } from "vitest";
import { type OpenPoolOptions, openPool, type PrecogPool } from "../app/pool";
import { assertTestDatabase, forceTestEnvironment } from "./environment";
import { withRollback } from "./rollback";

/**
 * Opens a pool for tests: forces PRECOG_ENV=test (in `options.env`, else in `process.env`),
 * opens it with `openPool`, and closes it again unless the server says the database is a test
 * database. Pool bounds and connection come from the usual variables and `.env`.
 */
export async function openTestPool(options: OpenPoolOptions = {}): Promise<PrecogPool> {
  let env = options.env;
  if (env === undefined) forceTestEnvironment(process.env);
  else env = { ...env, PRECOG_ENV: "test" };
  const pool = await openPool({ ...options, env, expectEnvironment: "test" });
  try {
    const client = await pool.connect();
    try {
      await assertTestDatabase(client);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/** The fixtures `dbTest` adds. */
export interface DbFixtures {
  /** The file's test pool. */
  pool: PrecogPool;
  /** A client inside this test's transaction; everything it wrote is rolled back after the test. */
  db: PoolClient;
}

/**
 * Extends `base` (vitest's `test`) with the `pool` and `db` fixtures. `options` (or a function
 * returning them, called when the file's first test needs the pool, i.e. after `beforeAll`) are
 * passed to `openTestPool`.
 */
export function dbTest(base: TestAPI, options: OpenPoolOptions | (() => OpenPoolOptions) = {}): TestAPI<DbFixtures> {
  return base.extend<DbFixtures>({
    pool: [
      // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
      async ({}, use) => {
        const pool = await openTestPool(typeof options === "function" ? options() : options);
        try {
          await use(pool);
        } finally {
          await pool.end();
        }
      },
      { scope: "file" },
    ],
    db: async ({ pool }, use) => {
      await withRollback(pool, (client) => use(client));
    },
  });
}
