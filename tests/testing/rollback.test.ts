import { Pool } from "pg";
import { describe, expect, it, test } from "vitest";
import { dbTest, openTestPool, uniqueId, withRollback } from "../../src/testing";
import { adminConfig, createScratchDatabase, dropDatabase } from "../helpers/pg";
import { committedRows, useTestDatabase } from "./support";

const db = useTestDatabase("CREATE TABLE markets (ticker text PRIMARY KEY, title text NOT NULL)");

describe("withRollback", () => {
  it("shows the test its own writes and leaves nothing behind", async () => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    const ticker = uniqueId("mkt");
    try {
      const seen = await withRollback(pool, async (c) => {
        await c.query("INSERT INTO markets VALUES ($1, 'Will it rain?')", [ticker]);
        expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0); // invisible outside
        return (await c.query("SELECT count(*)::int AS n FROM markets WHERE ticker = $1", [ticker])).rows[0].n;
      });
      expect(seen).toBe(1);
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
      expect(pool.idleCount).toBe(pool.totalCount); // the connection went back
    } finally {
      await pool.end();
    }
  });

  it("rolls back when the test throws, and rethrows the test's error", async () => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    const ticker = uniqueId("mkt");
    try {
      await expect(
        withRollback(pool, async (c) => {
          await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
          throw new Error("the test failed");
        }),
      ).rejects.toThrow(new Error("the test failed"));
      await expect(withRollback(pool, (c) => c.query("INSERT INTO markets VALUES (NULL, 'x')"))).rejects.toThrow(
        'null value in column "ticker" of relation "markets" violates not-null constraint',
      );
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it("fails the test that commits the fixture's transaction itself", async () => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    const ticker = uniqueId("mkt");
    try {
      await expect(
        withRollback(pool, async (c) => {
          await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
          await c.query("COMMIT");
        }),
      ).rejects.toThrow(
        new Error(
          "The test ended withRollback's transaction itself (COMMIT or ROLLBACK), so its writes may have been committed. " +
            "Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.",
        ),
      );
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(1);
    } finally {
      await pool.query("DELETE FROM markets WHERE ticker = $1", [ticker]);
      await pool.end();
    }
  });
});

describe("withRollback and a test that replaces its transaction", () => {
  const replaced =
    "The test ended withRollback's transaction and began another (COMMIT or ROLLBACK, then BEGIN), so its earlier writes " +
    "may have been committed. Use SAVEPOINT / ROLLBACK TO SAVEPOINT inside the test instead.";

  it.each([
    ["COMMIT; BEGIN", ["COMMIT", "BEGIN"], 1],
    ["COMMIT; BEGIN, in one query", ["COMMIT; BEGIN"], 1],
    ["ROLLBACK; INSERT; BEGIN", ["ROLLBACK", "INSERT", "BEGIN"], 1],
    ["ROLLBACK; BEGIN", ["ROLLBACK", "BEGIN"], 0],
    // Then an error the test catches: the new transaction is aborted, so only the server's replies tell.
    ["COMMIT; BEGIN, then a caught error", ["COMMIT", "BEGIN", "FAIL"], 1],
    ["COMMIT; BEGIN in one query, then a caught error", ["COMMIT; BEGIN", "FAIL"], 1],
    ["END; START TRANSACTION, then a caught error", ["END", "START TRANSACTION", "FAIL"], 1],
    ["ROLLBACK; INSERT; BEGIN, then a caught error", ["ROLLBACK", "INSERT", "BEGIN", "FAIL"], 1],
    // In one query the INSERT joins the implicit block that BEGIN turns into the new transaction.
    [
      "ROLLBACK; INSERT; BEGIN in one query, then a caught error",
      ["ROLLBACK; INSERT INTO markets VALUES ('$T', 'x'); BEGIN", "FAIL"],
      0,
    ],
    ["COMMIT AND CHAIN", ["COMMIT AND CHAIN"], 1],
  ] as const)("fails the test on %s", async (_label, statements, committed) => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    const ticker = uniqueId("mkt");
    try {
      await expect(
        withRollback(pool, async (c) => {
          await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
          for (const sql of statements) {
            if (sql === "INSERT") await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
            else if (sql === "FAIL") await c.query("INSERT INTO markets VALUES (NULL, 'x')").catch(() => undefined);
            else await c.query(sql.replace("$T", ticker));
          }
          if (!(statements as readonly string[]).includes("FAIL"))
            await c.query("INSERT INTO markets VALUES ($1, 'y')", [`${ticker}_after`]);
        }),
      ).rejects.toThrow(new Error(replaced));
      // What leaked (or not): the writes before the second BEGIN; the ones after it were rolled back.
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(committed);
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}_after'`)).toBe(0);
      expect(pool.idleCount).toBe(pool.totalCount);
    } finally {
      await pool.query("DELETE FROM markets WHERE ticker = $1", [ticker]);
      await pool.end();
    }
  });

  it("does not mistake a test's own SAVEPOINTs, SET LOCAL or caught error for a new transaction", async () => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    const ticker = uniqueId("mkt");
    try {
      const n = await withRollback(pool, async (c) => {
        await c.query("SAVEPOINT s1");
        await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
        await c.query("ROLLBACK TO SAVEPOINT s1");
        await c.query("SET LOCAL statement_timeout = '5s'");
        await c.query("SAVEPOINT s2");
        await expect(c.query("INSERT INTO markets VALUES (NULL, 'x')")).rejects.toThrow("violates not-null constraint");
        await c.query("ROLLBACK TO SAVEPOINT s2");
        await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
        return (await c.query("SELECT count(*)::int AS n FROM markets WHERE ticker = $1", [ticker])).rows[0].n;
      });
      expect(n).toBe(1);
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
      // A test that leaves the transaction aborted is not mistaken either; its statements were rolled back.
      await expect(
        withRollback(pool, async (c) => {
          await c.query("INSERT INTO markets VALUES ($1, 'x')", [ticker]);
          await c.query("INSERT INTO markets VALUES (NULL, 'x')").catch(() => undefined);
        }),
      ).resolves.toBeUndefined();
      expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
    } finally {
      await pool.end();
    }
  });
});

describe("refusing databases that are not test databases", () => {
  const fixtureRefusal = (name: string) =>
    `Refusing to run test fixtures against database "${name}": it is not a test database ` +
    `(its name must contain "test" and no other environment's name). Point DB_NAME at a test database such as precog_test.`;
  // What openTestPool says: a name that points at another environment is refused by openPool
  // itself (from DB_NAME); a name that points nowhere only by the server-side check.
  it.each<[string, (name: string) => string]>([
    ["precog_dev", fixtureRefusal],
    ["scratch", fixtureRefusal],
    [
      "precog_staging_copy",
      (name) =>
        `The environment is test, but the target database "${name}" (DB_NAME) is a staging database. ` +
        "Set PRECOG_ENV=staging to work on it deliberately (with its guards), or point at the test database.",
    ],
    [
      "prod_copy_for_test",
      (name) =>
        `DB_NAME="${name}" names more than one environment (test, prod): set PRECOG_ENV to say which one is meant.`,
    ],
  ])("refuses %s", async (prefix, openRefusal) => {
    const name = await createScratchDatabase(prefix);
    const { host, port, user, password } = adminConfig();
    const env = {
      DB_HOST: host,
      DB_PORT: String(port),
      DB_USER: user,
      DB_PASSWORD: password,
      DB_NAME: name,
      DB_POOL_MIN_CONN: "0",
    };
    try {
      // PRECOG_ENV=prod is overridden (the fixtures force test).
      await expect(openTestPool({ envFile: false, env: { ...env, PRECOG_ENV: "prod" } })).rejects.toThrow(
        new Error(openRefusal(name)),
      );
      // A plain pg.Pool skips openPool's checks: withRollback's own server-side check refuses.
      const pool = new Pool({ host, port, user, password, database: name });
      try {
        let ran = false;
        await expect(
          withRollback(pool, async () => {
            ran = true;
          }),
        ).rejects.toThrow(new Error(fixtureRefusal(name)));
        expect(ran).toBe(false);
      } finally {
        await pool.end();
      }
    } finally {
      await dropDatabase(name);
    }
  });

  it("forces PRECOG_ENV=test for the pool it opens", async () => {
    const pool = await openTestPool({ envFile: false, env: { ...db.current.vars(), PRECOG_ENV: "staging" } });
    try {
      expect(pool.environment).toBe("test");
    } finally {
      await pool.end();
    }
  });
});

describe("the dbTest fixture", () => {
  const it = dbTest(test, () => ({ envFile: false, env: db.current.vars() }));
  const ticker = uniqueId("fixture");

  it("writes a row inside the test's transaction", async ({ db: client, pool }) => {
    await client.query("INSERT INTO markets VALUES ($1, 'fixture row')", [ticker]);
    expect((await client.query("SELECT title FROM markets WHERE ticker = $1", [ticker])).rows).toEqual([
      { title: "fixture row" },
    ]);
    expect(pool.environment).toBe("test");
  });

  it("finds the row gone in the next test", async ({ db: client }) => {
    expect((await client.query("SELECT count(*)::int AS n FROM markets WHERE ticker = $1", [ticker])).rows[0].n).toBe(
      0,
    );
    expect(await committedRows(db.current, "markets", `ticker = '${ticker}'`)).toBe(0);
  });
});
