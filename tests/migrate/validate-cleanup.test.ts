/**
 * validate's scratch database never outlives the run (issue 9, item 12): the command interrupted
 * with SIGINT or SIGTERM while it builds the scratch database drops it before exiting, and a run
 * removes the leftovers of earlier runs that could not clean up (SIGKILL, a lost host).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validate } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, dbEnv, migrationsDir, removeDir, runCli, sql, waitFor } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("valclean");
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const scratchDatabases = async () =>
  (await withAdmin((c) => c.query("SELECT datname FROM pg_database WHERE datname LIKE 'precog_validate_%'"))).rows.map(
    (r) => r.datname as string,
  );

describe("validate's scratch database", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("is dropped when the command gets %s mid-run", async (signal) => {
    // Building the scratch copy of 2_slow takes long enough to interrupt.
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);"), "2_slow.sql": sql("SELECT pg_sleep(3);") });
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    expect((await runCli(["migrate", "--dir", dir], env)).code).toBe(0);
    const before = await scratchDatabases();
    let pid = 0;
    const running = runCli(["validate", "--dir", dir], env, { onSpawn: (p) => (pid = p) });
    await waitFor(async () => (await scratchDatabases()).length > before.length, 20_000, "the scratch database");
    process.kill(pid, signal);
    const r = await running;
    expect([r.code, r.signal]).not.toEqual([0, null]);
    expect(r.stderr).toContain(
      `precog-db: validate interrupted by ${signal}: dropped its scratch database precog_validate_`,
    );
    expect((await scratchDatabases()).filter((d) => !before.includes(d))).toEqual([]);
  });

  it("a run removes the scratch databases earlier runs left behind", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);") });
    const stale = `precog_validate_${Math.floor(Date.now() / 1000) - 7200}_0badf00d`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${stale}`));
    try {
      await validate({ connection: connectionFor(db), dir, environment: "dev" });
      expect(await scratchDatabases()).not.toContain(stale);
    } finally {
      await dropDatabase(stale);
    }
  });
});

describe("validate and the engine's own function", () => {
  it("a database an earlier precog-db migrated, without precog_migrations.record_v1, shows no drift", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);") });
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    expect((await runCli(["migrate", "--dir", dir], env)).code).toBe(0);
    await withAdmin((c) => c.query("DROP FUNCTION precog_migrations.record_v1"), db);
    const report = await validate({ connection: connectionFor(db), dir, environment: "dev" });
    expect([report.ok, report.drift]).toEqual([true, []]);
  });
});
