import { beforeAll, describe, expect, it } from "vitest";
import { assertDangerousAllowed, dangerousOperation, openPool, type Environment, type PrecogPool } from "../../src/app";
import { withClient } from "../helpers/client";
import { useScratchDatabase, useTestDatabase } from "./support";

const db = useTestDatabase();

/** Superuser SQL giving a scratch database the positions table, usable by the test's app role. */
const positionsFor = () =>
  "CREATE TABLE positions (id bigserial PRIMARY KEY, market text NOT NULL); " +
  `GRANT SELECT, INSERT, DELETE ON positions TO ${db.current.app.user}; ` +
  `GRANT USAGE ON SEQUENCE positions_id_seq TO ${db.current.app.user};`;
// openPool refuses a database named for another environment, so each environment gets its own.
const devDb = useScratchDatabase("precog_dev", positionsFor);
const stagingDb = useScratchDatabase("precog_staging", positionsFor);
const prodDb = useScratchDatabase("precog_prod", positionsFor);

const refusal = (env: string) =>
  `Refusing to run delete_all_positions on ${env}: operations that touch every row run only in dev and test. ` +
  "Use a targeted statement instead (a DELETE or UPDATE whose WHERE clause names the rows, e.g. by id or market).";

/** The strategy's helper, written the way the application should write it. */
const deleteAllPositions = dangerousOperation("delete_all_positions", async (pool: PrecogPool) => {
  const r = await pool.query("DELETE FROM positions");
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

  async function withPool<T>(env: Record<string, string> & { PRECOG_ENV: string }, fn: (pool: PrecogPool) => Promise<T>): Promise<T> {
    const database = { test: db.current.database, dev: devDb.current, staging: stagingDb.current, prod: prodDb.current }[env.PRECOG_ENV];
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

  it("falls back to the process environment when the first argument has none", async () => {
    const wipe = dangerousOperation("delete_all_positions", async (_table: string) => "ran", { PRECOG_ENV: "staging" });
    await expect(wipe("positions")).rejects.toThrow(new Error(refusal("staging")));
    const wipeDev = dangerousOperation("delete_all_positions", async (_table: string) => "ran", {});
    await expect(wipeDev("positions")).resolves.toBe("ran");
    expect(wipe.name).toBe("delete_all_positions");
  });
});
