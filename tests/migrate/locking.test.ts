/**
 * One runner at a time: concurrent runners apply each migration exactly once; a runner that
 * cannot get the lock in time fails naming the holder; a runner killed with SIGKILL mid-migration
 * leaves the database as it was before that migration and the lock free.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MIGRATION_LOCK_KEY, migrate, readHistory } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, dbEnv, migrationsDir, removeDir, runCli, sql, waitFor } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("lock");
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const opts = (extra: object = {}) => ({
  connection: connectionFor(db),
  dir,
  environment: "dev" as const,
  checksumCache: false as const,
  ...extra,
});
const query = (text: string) => withAdmin((c) => c.query(text), db);

describe("the migration lock", () => {
  it("lets concurrent runners apply every migration exactly once", async () => {
    const files: Record<string, string> = {
      "1_t.sql": sql("CREATE TABLE runs (migration int, backend int DEFAULT pg_backend_pid());"),
    };
    for (let i = 2; i <= 12; i++)
      files[`${i}_m.sql`] = sql(`INSERT INTO runs (migration) VALUES (${i}); SELECT pg_sleep(0.02);`);
    dir = migrationsDir(files);
    const results = await Promise.all(Array.from({ length: 6 }, () => migrate(opts({ batchSize: 3 }))));
    const applied = results.flatMap((r) => r.applied.map((a) => a.version));
    expect(applied.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    const counts = (await query("SELECT migration, count(*)::int AS n FROM runs GROUP BY 1 ORDER BY 1")).rows;
    expect(counts).toEqual(Array.from({ length: 11 }, (_, i) => ({ migration: i + 2, n: 1 })));
    expect(await readHistory({ connection: connectionFor(db), environment: "dev" })).toHaveLength(12);
  });

  it("fails clearly after the configured wait when another session holds the lock", async () => {
    dir = migrationsDir({ "1_a.sql": sql("SELECT 1;") });
    await withAdmin(async (holder) => {
      await holder.query(`SET application_name = 'someone-else'; SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const started = Date.now();
      await expect(migrate(opts({ lockWaitMs: 300 }))).rejects.toThrow(
        /^Another migration runner holds the migration lock on this database \(backend pid \d+, user postgres, application "someone-else", connected since .*\) and did not finish within 300 ms\. Wait for it and run again, or raise the wait with --lock-wait\.$/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }, db);
    expect((await migrate(opts())).applied).toHaveLength(1);
  });

  it("a runner that waits for the lock says so, and prints the up-to-date summary when the other run applied everything", async () => {
    dir = migrationsDir({ "1_slow.sql": sql("SELECT pg_sleep(2);") });
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    const first = runCli(["migrate", "--dir", dir], env);
    let holder = 0;
    await waitFor(
      async () => {
        const r = await query(
          "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
        );
        holder = r.rows[0]?.pid ?? 0;
        return holder !== 0;
      },
      20_000,
      "the first run's slow migration to start",
    );
    const second = await runCli(["migrate", "--dir", dir], env);
    expect((await first).code).toBe(0);
    const lines = second.stderr.trim().split("\n");
    expect([second.code, lines.slice(1)]).toEqual([
      0,
      [
        expect.stringMatching(
          new RegExp(
            `^Waiting for the migration lock held by another run \\(backend pid ${holder}, user postgres, application "precog-db", connected since \\S+\\), for up to 60000 ms \\(--lock-wait\\)\\.\\.\\.$`,
          ),
        ),
        expect.stringMatching(/ \(dev\) is up to date: 1 migration\(s\) applied\.$/),
      ],
    ]);
  });

  it("a runner killed with SIGKILL mid-migration leaves the database as it was before that migration", async () => {
    dir = migrationsDir({
      "1_base.sql": sql("CREATE TABLE base (id int);"),
      "2_slow.sql": sql("CREATE TABLE half (id int);\nINSERT INTO base VALUES (1);\nSELECT pg_sleep(60);"),
    });
    let pid = 0;
    const run = runCli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev" }, { onSpawn: (p) => (pid = p) });
    await waitFor(
      async () =>
        // By what it waits on, not its text: a batch's text is cut at track_activity_query_size.
        (await query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()"))
          .rowCount === 1,
      20_000,
      "the slow migration to start",
    );
    process.kill(pid, "SIGKILL");
    const r = await run;
    expect(r.signal).toBe("SIGKILL");
    // The server notices the dead client within client_connection_check_interval (1 s) and rolls back.
    await waitFor(
      async () =>
        // By what it waits on, not its text: a batch's text is cut at track_activity_query_size.
        (await query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()"))
          .rowCount === 0,
      10_000,
      "the killed runner's backend to end",
    );
    expect((await query("SELECT to_regclass('half') AS t")).rows[0].t).toBeNull();
    expect((await query("SELECT count(*)::int AS n FROM base")).rows[0].n).toBe(0);
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
    ]);
    // The lock went with the session: a new run gets it at once and applies the fixed file.
    writeFileSync(join(dir, "2_slow.sql"), sql("CREATE TABLE half (id int);"));
    expect((await migrate(opts({ lockWaitMs: 1000 }))).applied.map((a) => a.version)).toEqual(["2"]);
  });
});

describe("a migration that releases the migration lock (issue 30, item 13)", () => {
  const released =
    "the migration released the migration lock (pg_advisory_unlock_all() or pg_advisory_unlock(8102650157338160487)), so another runner could apply the same migrations meanwhile (SQLSTATE 55000)";
  const tables = async () =>
    (await query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map(
      (r) => r.tablename,
    );
  const versions = async () =>
    (await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version);

  it.each([
    ["pg_advisory_unlock_all()", "SELECT pg_advisory_unlock_all();"],
    ["pg_advisory_unlock(key)", `SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY});`],
  ])("is rolled back when it calls %s, and the run stops there", async (_, call) => {
    dir = migrationsDir({
      "1_fine.sql": sql("CREATE TABLE fine (id int);"),
      "2_unlock.sql": sql(`CREATE TABLE unlocked (id int);\n${call}`),
      "3_after.sql": sql("CREATE TABLE after_it (id int);"),
    });
    const failure = await migrate(opts()).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message.split("\n")[0]).toBe(`2_unlock.sql: up failed: ${released}`);
    expect((failure as Error).message).toContain(
      "Rolled back: nothing from 2_unlock.sql was applied (the 1 migration(s) before it were).",
    );
    expect(await tables()).toEqual(["fine"]);
    expect(await versions()).toEqual(["1"]);
  });

  // The check after each migration takes the lock back as it tests it (pg.ts LOCK_STILL_HELD):
  // the key is never free while the run lasts, and the run leaves it free.
  it("the check keeps the lock: another session cannot take it during a later migration, and takes it once the run ends", async () => {
    dir = migrationsDir({
      "1_fine.sql": sql("CREATE TABLE fine (id int);"),
      "2_nontx.sql": sql("CREATE INDEX CONCURRENTLY fine_id ON fine (id);", "", "transaction:false"),
      "3_fine.sql": sql("CREATE TABLE also_fine (id int);"),
      "4_slow.sql": sql("SELECT pg_sleep(1.5);"),
    });
    const run = migrate(opts());
    await waitFor(
      async () =>
        (await query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()"))
          .rowCount === 1,
      20_000,
      "the slow migration to start",
    );
    const during = (await query(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS got`)).rows[0].got;
    expect((await run).applied.map((a) => a.version)).toEqual(["1", "2", "3", "4"]);
    const after = (
      await query(
        `SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS got, pg_advisory_unlock(${MIGRATION_LOCK_KEY})`,
      )
    ).rows[0].got;
    expect([during, after]).toEqual([false, true]);
  });

  it("a session waiting for the lock gets it only once the run is over, not while a check tests it", async () => {
    dir = migrationsDir({
      "1_slow.sql": sql("SELECT pg_sleep(1);"),
      "2_fine.sql": sql("CREATE TABLE fine (id int);"),
      // Not CREATE INDEX CONCURRENTLY: it would wait for the waiting session's transaction, a deadlock.
      "3_nontx.sql": sql("CREATE TABLE other_one (id int);\nCREATE TABLE another (id int);", "", "transaction:false"),
    });
    await withAdmin(async (other) => {
      const run = migrate(opts());
      await waitFor(
        async () =>
          (
            await other.query(
              "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
            )
          ).rowCount === 1,
        20_000,
        "the slow migration to start",
      );
      // Waits in the queue while the checks run: the first moment it holds the lock, it counts what is applied.
      const waiting = other.query(
        `SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}); SELECT count(*)::int AS n FROM precog_migrations.history`,
      ) as unknown as Promise<{ rows: { n: number }[] }[]>;
      expect((await run).applied.map((a) => a.version)).toEqual(["1", "2", "3"]);
      expect((await waiting)[1].rows[0].n).toBe(3);
      await other.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }, db);
  });

  it("is rolled back when another session took the lock it released before the check", async () => {
    dir = migrationsDir({
      "1_unlock.sql": sql("CREATE TABLE unlocked (id int);\nSELECT pg_advisory_unlock_all();\nSELECT pg_sleep(1.5);"),
    });
    await withAdmin(async (other) => {
      const run = migrate(opts()).catch((e: Error) => e);
      await waitFor(
        async () =>
          (
            await other.query(
              "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
            )
          ).rowCount === 1,
        20_000,
        "the migration to release the lock and sleep",
      );
      expect((await other.query(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS got`)).rows[0].got).toBe(true);
      const failure = await run;
      await other.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      expect((failure as Error).message.split("\n")[0]).toBe(`1_unlock.sql: up failed: ${released}`);
    }, db);
    expect(await tables()).toEqual([]);
    expect(await versions()).toEqual([]);
  });

  it("outside a transaction, is stopped at the statement that released it", async () => {
    dir = migrationsDir({
      "1_nontx.sql": sql(
        "CREATE TABLE first_one (id int);\nSELECT pg_advisory_unlock_all();\nCREATE TABLE never (id int);",
        "",
        "transaction:false",
      ),
    });
    const failure = await migrate(opts()).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message.split("\n")[0]).toBe(`1_nontx.sql: up failed: ${released}`);
    expect((failure as Error).message).toContain(
      "Not in a transaction, so not rolled back: statement 2 of 3 failed; statements 1-1 ran and their effects remain. 1_nontx.sql is not recorded in precog_migrations.history.",
    );
    expect(await tables()).toEqual(["first_one"]);
    expect(await versions()).toEqual([]);
  });
});
