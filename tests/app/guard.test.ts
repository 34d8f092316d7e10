import { Client, Pool, type PoolClient } from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { assertDangerousAllowed, dangerousOperation, type Environment, openPool, type PrecogPool } from "../../src/app";
import { markerSql } from "../../src/env/database-marker";
import { withClient } from "../../testbed/client";
import { useScratchDatabase, useTestDatabase } from "./support";

const db = useTestDatabase();

/** Superuser SQL giving a scratch database the positions table, usable by the test's app role. */
const positionsFor = () =>
  "CREATE TABLE positions (id bigserial PRIMARY KEY, market text NOT NULL); " +
  `GRANT SELECT, INSERT, DELETE ON positions TO ${db.current.app.user}; ` +
  `GRANT USAGE ON SEQUENCE positions_id_seq TO ${db.current.app.user};`;
// openPool refuses a database named for another environment, so each environment gets its own.
// The dev one carries the marker a dev stack writes (src/env/database-marker.ts): the proof it is throwaway.
const devDb = useScratchDatabase("precog_dev", () => `${positionsFor()} ${markerSql("dev")};`);
const stagingDb = useScratchDatabase("precog_staging", positionsFor);
const prodDb = useScratchDatabase("precog_prod", positionsFor);
// A database whose name points at no environment: nothing about a plain handle on it says dev.
const liveDb = useScratchDatabase("precog_live", positionsFor);

const refusal = (env: string) =>
  `Refusing to run delete_all_positions on ${env}: operations that touch every row run only in dev and test. ` +
  "Use a targeted statement instead (a DELETE or UPDATE whose WHERE clause names the rows, e.g. by id or market).";

/** The strategy's helper, written the way the application should write it. */
const deleteAllPositions = dangerousOperation("delete_all_positions", async (pool: PrecogPool) => {
  const r = await pool.query("DELETE FROM positions");
  return r.rowCount;
});

/** The same, written against a client taken from the pool. */
const deleteAllPositionsWith = dangerousOperation("delete_all_positions", async (client: PoolClient) => {
  const r = await client.query("DELETE FROM positions");
  return r.rowCount;
});

describe("assertDangerousAllowed", () => {
  it.each<[Environment, string | undefined]>([
    ["dev", undefined],
    ["test", undefined],
    ["staging", refusal("staging")],
    ["prod", refusal("prod")],
  ])("%s", (env, message) => {
    if (message === undefined) expect(() => assertDangerousAllowed("delete_all_positions", env)).not.toThrow();
    else expect(() => assertDangerousAllowed("delete_all_positions", env)).toThrow(new Error(message));
  });
});

describe("a guarded delete_all_positions against a real database", () => {
  beforeAll(async () => {
    // The schema belongs to the owner role, as migrations would create it.
    await withClient(db.current.config(db.current.owner), (owner) =>
      owner.query("CREATE TABLE positions (id bigserial PRIMARY KEY, market text NOT NULL)"),
    );
  });

  async function withPool<T>(
    env: Record<string, string> & { PRECOG_ENV: string },
    fn: (pool: PrecogPool) => Promise<T>,
  ): Promise<T> {
    const database = {
      test: db.current.database,
      dev: devDb.current,
      staging: stagingDb.current,
      prod: prodDb.current,
    }[env.PRECOG_ENV];
    const pool = await openPool({
      envFile: false,
      env: { ...db.current.vars(), DB_NAME: database ?? "", DB_POOL_MIN_CONN: "0", DB_SSLMODE: "disable", ...env },
    });
    try {
      return await fn(pool);
    } finally {
      await pool.end();
    }
  }

  async function seed(pool: PrecogPool): Promise<void> {
    await pool.query("INSERT INTO positions (market) VALUES ('A'), ('B'), ('C')");
  }

  async function count(pool: PrecogPool): Promise<number> {
    return (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM positions")).rows[0].n;
  }

  it.each(["test", "dev"])("runs on %s", async (env) => {
    await withPool({ PRECOG_ENV: env }, async (pool) => {
      await seed(pool);
      expect(await deleteAllPositions(pool)).toBe(3);
      expect(await count(pool)).toBe(0);
    });
  });

  it("is refused on staging and leaves the rows alone", async () => {
    await withPool({ PRECOG_ENV: "staging" }, async (pool) => {
      await seed(pool);
      expect(pool.environment).toBe("staging");
      await expect(deleteAllPositions(pool)).rejects.toThrow(new Error(refusal("staging")));
      expect(await count(pool)).toBe(3);
      await pool.query("DELETE FROM positions WHERE market IN ('A', 'B', 'C')");
    });
  });

  it("is refused on prod even when prod access is confirmed", async () => {
    await withPool({ PRECOG_ENV: "prod", PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "ci" }, async (pool) => {
      await seed(pool);
      await expect(deleteAllPositions(pool)).rejects.toThrow(new Error(refusal("prod")));
      expect(await count(pool)).toBe(3);
      await pool.query("DELETE FROM positions WHERE market IN ('A', 'B', 'C')");
    });
  });

  it("refuses a client taken from a staging or prod pool, whatever the process environment says", async () => {
    const envs: Array<Record<string, string> & { PRECOG_ENV: string }> = [
      { PRECOG_ENV: "staging" },
      { PRECOG_ENV: "prod", PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "ci" },
    ];
    for (const env of envs) {
      await withPool(env, async (pool) => {
        await seed(pool);
        const client = await pool.connect();
        try {
          await expect(deleteAllPositionsWith(client)).rejects.toThrow(new Error(refusal(env.PRECOG_ENV)));
        } finally {
          client.release();
        }
        expect(await count(pool)).toBe(3);
        await pool.query("DELETE FROM positions WHERE market IN ('A', 'B', 'C')");
      });
    }
  });

  it("finds the pool in any argument position, or inside an options object", async () => {
    const byMarket = dangerousOperation(
      "delete_all_positions",
      async (_market: string, pool: PrecogPool) => (await pool.query("DELETE FROM positions")).rowCount,
    );
    const byOptions = dangerousOperation(
      "delete_all_positions",
      async (o: { db: PrecogPool }) => (await o.db.query("DELETE FROM positions")).rowCount,
    );
    const mixed = dangerousOperation(
      "delete_all_positions",
      async (_a: PrecogPool, b: PrecogPool) => (await b.query("DELETE FROM positions")).rowCount,
    );
    await withPool({ PRECOG_ENV: "prod", PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "ci" }, async (prod) => {
      await seed(prod);
      await withPool({ PRECOG_ENV: "test" }, async (test) => {
        await expect(byMarket("A", prod)).rejects.toThrow(new Error(refusal("prod")));
        await expect(byOptions({ db: prod })).rejects.toThrow(new Error(refusal("prod")));
        await expect(mixed(test, prod)).rejects.toThrow(new Error(refusal("prod")));
      });
      expect(await count(prod)).toBe(3);
      await prod.query("DELETE FROM positions WHERE market IN ('A', 'B', 'C')");
    });
    await withPool({ PRECOG_ENV: "dev" }, async (dev) => {
      await seed(dev);
      expect(await byMarket("A", dev)).toBe(3);
      await seed(dev);
      expect(await byOptions({ db: dev })).toBe(3);
    });
  });

  it("refuses plain pg handles unless their database is a test database", async () => {
    const { host, port } = db.current;
    const { user, password } = db.current.app;
    const wipe = dangerousOperation(
      "delete_all_positions",
      async (q: Pick<Pool, "query">) => (await q.query("DELETE FROM positions")).rowCount,
    );
    const prod = new Pool({ host, port, user, password, database: prodDb.current, max: 1 });
    const live = new Client({ host, port, user, password, database: liveDb.current });
    const test = new Pool({ host, port, user, password, database: db.current.database, max: 1 });
    await live.connect();
    try {
      await prod.query("INSERT INTO positions (market) VALUES ('A')");
      await live.query("INSERT INTO positions (market) VALUES ('A')");
      await expect(wipe(prod)).rejects.toThrow(new Error(refusal("prod")));
      await expect(wipe(live)).rejects.toThrow(
        new Error(
          `Refusing to run delete_all_positions: cannot establish that its target is a dev or test database (argument 1 is a pg.Client ` +
            `on database "${liveDb.current}", which names no environment). Pass a pool opened with openPool for dev or test, or a ` +
            `client taken from one; a plain pg pool or client only on a database whose name contains "test".`,
        ),
      );
      expect((await prod.query("SELECT count(*)::int AS n FROM positions")).rows[0].n).toBe(1);
      expect((await live.query("SELECT count(*)::int AS n FROM positions")).rows[0].n).toBe(1);
      await test.query("INSERT INTO positions (market) VALUES ('A')");
      expect(await wipe(test)).toBe(1);
    } finally {
      await prod.query("DELETE FROM positions");
      await live.query("DELETE FROM positions");
      await Promise.all([prod.end(), live.end(), test.end()]);
    }
  });

  it("refuses a call with no database handle, and a look-alike that only claims an environment", async () => {
    const wipe = dangerousOperation("delete_all_positions", async (_table: string) => "ran");
    await expect(wipe("positions")).rejects.toThrow(
      new Error(
        "Refusing to run delete_all_positions: none of its arguments is a database pool or client, so its target cannot be " +
          "established as dev or test. Pass the pool (openPool's PrecogPool) or a client taken from it as an argument.",
      ),
    );
    expect(wipe.name).toBe("delete_all_positions");
    await withPool({ PRECOG_ENV: "prod", PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "ci" }, async (prod) => {
      await seed(prod);
      const lookAlike = { environment: "dev", query: (sql: string) => prod.query(sql) };
      const viaWrapper = dangerousOperation(
        "delete_all_positions",
        async (p: typeof lookAlike) => (await p.query("DELETE FROM positions")).rowCount,
      );
      await expect(viaWrapper(lookAlike)).rejects.toThrow(
        "cannot establish that its target is a dev or test database (argument 1 is an object that is not a pg pool or client)",
      );
      expect(await count(prod)).toBe(3);
      await prod.query("DELETE FROM positions WHERE market IN ('A', 'B', 'C')");
    });
  });
});
