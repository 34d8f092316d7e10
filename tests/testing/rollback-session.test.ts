/**
 * withRollback against what a test body can do to its session (issue 9, items 9, 13 and 14): the
 * backend dies under it, it ends the transaction in ways the final ROLLBACK cannot see, or it
 * leaves session state (advisory locks, prepared statements) for the next test on that connection.
 */
import { describe, expect, it } from "vitest";
import type { PrecogPool } from "../../src/app";
import { openTestPool, uniqueId, withRollback } from "../../src/testing";
import { withAdmin } from "../helpers/pg";
import { committedRows, useTestDatabase } from "./support";

const db = useTestDatabase("CREATE TABLE markets (ticker text PRIMARY KEY, title text NOT NULL)");

const ended =
  "The test ended withRollback's transaction itself (COMMIT or ROLLBACK), so its writes may have been committed. " +
  "Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.";

async function withPool<T>(fn: (pool: PrecogPool) => Promise<T>, extra: Record<string, string> = {}): Promise<T> {
  const pool = await openTestPool({ envFile: false, env: { ...db.current.vars(), DB_POOL_MIN_CONN: "1", ...extra } });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withRollback when the test's backend is terminated", () => {
  it.each([
    [
      "by an administrator (pg_terminate_backend)",
      async (pid: number) => void (await withAdmin((c) => c.query("SELECT pg_terminate_backend($1)", [pid]))),
    ],
    ["by idle_in_transaction_session_timeout", async () => undefined],
  ])("rejects and discards the connection when killed %s", async (label, kill) => {
    await withPool(async (pool) => {
      const lost = withRollback(pool, async (c) => {
        const pid = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
        if (label.includes("idle")) await c.query("SET LOCAL idle_in_transaction_session_timeout = '100ms'");
        await kill(pid);
        await sleep(600); // idle in the transaction, as a test awaiting something else would be
      });
      await expect(lost).rejects.toThrow(
        /^withRollback's connection was lost during the test \(.+\); it was discarded, and the test's writes were never committed\.$/,
      );
      // The dead connection is not handed out again; the pool serves the next test.
      await expect(
        withRollback(pool, async (c) => (await c.query<{ one: number }>("SELECT 1 AS one")).rows[0].one),
      ).resolves.toBe(1);
    });
  });
});

// The table of commits it must see (COMMIT; BEGIN then a caught error, ...) is in rollback.test.ts.
describe("withRollback and commits the final ROLLBACK cannot see", () => {
  it("reports the commit as well as the test's own error when the test commits and then throws", async () => {
    await withPool(async (pool) => {
      const ticker = uniqueId("mkt");
      try {
        const testError = new Error("expected 2 to be 3");
        const err = await withRollback(pool, async (c) => {
          await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
          await c.query("COMMIT");
          throw testError;
        }).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toBe(`${ended} The test also failed: expected 2 to be 3`);
        expect((err as Error).cause).toBe(testError);
        expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(1);
      } finally {
        await pool.query("DELETE FROM markets WHERE ticker = $1", [ticker]);
      }
    });
  });

  it("still passes a test that uses savepoints, a caught error and a BEGIN inside its own transaction", async () => {
    await withPool(async (pool) => {
      const ticker = uniqueId("mkt");
      const n = await withRollback(pool, async (c) => {
        await c.query("SAVEPOINT s");
        await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
        await c.query("ROLLBACK TO SAVEPOINT s");
        await c.query("BEGIN"); // a warning only: the transaction is still withRollback's
        await c.query("SAVEPOINT t; RELEASE SAVEPOINT t");
        await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
        await c.query("INSERT INTO markets VALUES (NULL, 'x')").catch(() => undefined);
        return 1;
      });
      expect(n).toBe(1);
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
    });
  });
});

describe("withRollback hands the connection back without the test's session state", () => {
  it("releases advisory locks and prepared statements (server-side and pg's named ones)", async () => {
    await withPool(
      async (pool) => {
        const first = await withRollback(pool, async (c) => {
          await c.query("SELECT pg_advisory_lock(424242)");
          await c.query("PREPARE leftover AS SELECT 1");
          await c.query({ name: "named_q", text: "SELECT 1 AS v" });
          return (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
        });
        const held = await withAdmin(
          async (c) =>
            (
              await c.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242 AND pid = $1", [
                first,
              ])
            ).rowCount,
        );
        expect(held).toBe(0);
        const second = await withRollback(pool, async (c) => {
          const pid = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
          const prepared = (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements"))
            .rows[0].n;
          // The same name with another text: pg refuses it if it still believes the old one is prepared.
          const v = (await c.query<{ v: number }>({ name: "named_q", text: "SELECT 2 AS v" })).rows[0].v;
          return { pid, prepared, v };
        });
        expect(second).toEqual({ pid: first, prepared: 0, v: 2 }); // same connection, reset
      },
      { DB_POOL_MAX_CONN: "1" },
    );
  });
});
