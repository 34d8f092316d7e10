/**
 * Issue 30, item 15, the runner's side: a process's runs stopped from outside (the migration
 * plugin's engine gone) apply no further migration. The one running on the server is cancelled
 * and rolls back whole, those after it never run, what committed before is recorded. Real
 * PostgreSQL; the stop is process-wide, so this file holds the runs that see it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import { stopMigrations, whenIdle } from "../../src/migrate/stop";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql, waitFor } from "./helpers";

let db: string;
let dir: string;
beforeAll(async () => {
  db = await createScratchDatabase("stop");
  dir = migrationsDir({
    "1_marks.sql": sql("CREATE TABLE marks (n int);"),
    "2_slow.sql": sql("INSERT INTO marks VALUES (2); SELECT pg_sleep(5); INSERT INTO marks VALUES (22);"),
    "3_after.sql": sql("INSERT INTO marks VALUES (3);"),
  });
});
afterAll(async () => {
  await dropDatabase(db);
  removeDir(dir);
});

const options = () => ({
  connection: connectionFor(db),
  dir,
  environment: "dev" as const,
  checksumCache: false as const,
});
const marks = () => withAdmin(async (c) => (await c.query("SELECT n FROM marks ORDER BY n")).rows, db);

describe("a stop from outside", () => {
  it("cancels the migration in progress (rolled back whole) and applies none after it", async () => {
    const started = Date.now();
    const run = migrate(options()).then(
      () => undefined,
      (e: Error) => e,
    );
    await waitFor(
      async () =>
        withAdmin(async (c) => {
          const r = await c.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'PgSleep'", [db]);
          return (r.rowCount ?? 0) > 0;
        }),
      5000,
      "migration 2 to start",
    );
    stopMigrations("the engine that started this plugin went away");
    const error = await run;
    await whenIdle();
    expect(Date.now() - started).toBeLessThan(4500); // cancelled, not waited out
    expect(error?.message).toBe(
      "Stopped applying migrations: the engine that started this plugin went away. 1 migration(s) of this run were applied " +
        "and recorded; 2_slow.sql and the ones after it were not. The next `pulumi up` reconciles with the history table.",
    );
    expect((await readHistory(options())).map((h) => h.version)).toEqual(["1"]);
    expect(await marks()).toEqual([]);
  });

  it("a later run in the same process applies nothing", async () => {
    await expect(migrate(options())).rejects.toThrow(
      "Stopped applying migrations: the engine that started this plugin went away. 0 migration(s) of this run were applied " +
        "and recorded; 2_slow.sql and the ones after it were not.",
    );
    expect(await marks()).toEqual([]);
  });
});
