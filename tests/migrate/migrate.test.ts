/**
 * The runner against a real PostgreSQL server: ordering, history rows, the no-op run, checksums
 * (through the stat cache and without it), missing and out-of-order files, the allowed set, the
 * target version and per-migration timeouts.
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { listMigrations, type MigrateEvent, migrate, readHistory, readMigration, status } from "../../src/migrate";
import { historyDigest, readHistoryDigest } from "../../src/migrate/history";
import { requirePg } from "../../src/migrate/pg";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
let cacheDir: string;
beforeEach(async () => {
  db = await createScratchDatabase("mig");
  cacheDir = mkdtempSync(join(tmpdir(), "precog-cache-"));
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
  rmSync(cacheDir, { recursive: true, force: true });
});

const opts = (extra: object = {}) => ({
  connection: connectionFor(db),
  dir,
  environment: "dev" as const,
  operator: "tester",
  checksumCache: join(cacheDir, "cache.json"),
  ...extra,
});
const query = (text: string) => withAdmin((c) => c.query(text), db);

describe("migrate", () => {
  it("applies in numeric version order, records history, then does nothing", async () => {
    dir = migrationsDir({
      "10_third.sql": sql("INSERT INTO log VALUES ('10');"),
      "2_second.sql": sql("INSERT INTO log VALUES ('2');"),
      "1_first.sql": sql("CREATE TABLE log (v text, at timestamptz DEFAULT clock_timestamp());"),
    });
    const first = await migrate(opts());
    expect(first.applied.map((a) => `${a.version}_${a.name}`)).toEqual(["1_first", "2_second", "10_third"]);
    expect((await query("SELECT v FROM log ORDER BY at")).rows.map((r) => r.v)).toEqual(["2", "10"]);
    const rows = (
      await query(
        "SELECT version, name, checksum, applied_by, duration_ms, applied_at FROM precog_migrations.history ORDER BY version",
      )
    ).rows;
    expect(rows.map((r) => [r.version, r.name, r.applied_by])).toEqual([
      ["1", "first", "tester"],
      ["2", "second", "tester"],
      ["10", "third", "tester"],
    ]);
    expect(rows.map((r) => r.checksum)).toEqual(first.applied.map((a) => a.checksum));
    expect(rows.every((r) => r.duration_ms >= 0 && r.applied_at instanceof Date)).toBe(true);

    const again = await migrate(opts());
    expect(again.applied).toEqual([]);
    expect(await readHistory({ connection: connectionFor(db), environment: "dev" })).toHaveLength(3);
  });

  it("records each migration's own duration, also when several travel in one round trip", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("SELECT pg_sleep(0.15);"),
      "2_b.sql": sql("SELECT pg_sleep(0.15);"),
      "3_c.sql": sql("SELECT pg_sleep(0.15);"),
    });
    const r = await migrate(opts());
    const ms = (await query("SELECT duration_ms FROM precog_migrations.history ORDER BY version")).rows.map(
      (row) => row.duration_ms,
    );
    expect(ms).toEqual(r.applied.map((a) => a.durationMs));
    for (const d of ms) expect(d >= 140 && d < 290, `duration ${d} ms`).toBe(true);
  });

  it("the no-op run's one-row digest of the history equals the digest of the files", async () => {
    dir = migrationsDir({ "1_a.sql": sql("SELECT 1;"), "0002_b-c.sql": sql("SELECT 'ü';") });
    await migrate(opts());
    const server = await withAdmin((c) => readHistoryDigest(c), db);
    const files = listMigrations(dir).map(readMigration);
    expect(server).toEqual({ count: 2, digest: historyDigest(files) });
    expect(historyDigest(files.slice(0, 1))).not.toBe(server!.digest);
  });

  it("runs each migration in its own transaction: a failure keeps the ones before it", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "2_b.sql": sql("CREATE TABLE b (id int);\nSELECT 1/0;"),
      "3_c.sql": sql("CREATE TABLE c (id int);"),
    });
    await expect(migrate(opts())).rejects.toThrow(/2_b\.sql: up failed: division by zero/);
    const tables = (await query("SELECT relname FROM pg_class WHERE relname IN ('a','b','c') ORDER BY 1")).rows.map(
      (r) => r.relname,
    );
    expect(tables).toEqual(["a"]);
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
    ]);
  });

  it("a transaction:false migration's settings ride on the message before it, and are in force", async () => {
    dir = migrationsDir({
      "1_seen.sql": sql("CREATE TABLE seen (v int, lock text, stmt text);"),
      "2_a.sql": sql(
        "INSERT INTO seen SELECT 2, current_setting('lock_timeout'), current_setting('statement_timeout');",
        "",
        "transaction:false lock_timeout:2s",
      ),
      "3_b.sql": sql(
        "INSERT INTO seen SELECT 3, current_setting('lock_timeout'), current_setting('statement_timeout');",
        "",
        "transaction:false lock_timeout:3s statement_timeout:1min",
      ),
      "4_c.sql": sql(
        "INSERT INTO seen SELECT 4, current_setting('lock_timeout'), current_setting('statement_timeout');",
      ),
    });
    const pg = requirePg();
    const original = pg.Client.prototype.query;
    const sent: string[] = [];
    const spy = vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: unknown, ...args: unknown[]) {
      const q = args[0] as string | { text?: string } | undefined;
      sent.push(typeof q === "string" ? q : (q?.text ?? "(batch)"));
      return (original as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    try {
      await migrate(opts());
    } finally {
      spy.mockRestore();
    }
    expect((await query("SELECT v, lock, stmt FROM seen ORDER BY v")).rows).toEqual([
      { v: 2, lock: "2s", stmt: "15min" },
      { v: 3, lock: "3s", stmt: "1min" },
      { v: 4, lock: "5s", stmt: "15min" },
    ]);
    // No message of its own for a unit's settings: they close the message before.
    expect(sent.filter((t) => t.startsWith("RESET ALL"))).toEqual([]);
  });

  it("counts every migration applied before a failure, also when it comes after the first round trip", async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 52; i++) files[`${String(i).padStart(4, "0")}_m.sql`] = sql(`CREATE TABLE m${i} (id int);`);
    files["0053_bad.sql"] = sql("SELECT 1/0;");
    files["0054_after.sql"] = sql("CREATE TABLE after (id int);");
    dir = migrationsDir(files);
    await expect(migrate(opts())).rejects.toThrow(
      "Rolled back: nothing from 0053_bad.sql was applied (the 52 migration(s) before it were).",
    );
    expect((await query("SELECT count(*)::int AS n FROM precog_migrations.history")).rows[0].n).toBe(52);
  });

  it("applies and records a 19-digit version at the top of bigint's range", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "9223372036854775807_max.sql": sql("SELECT 1;"),
    });
    const r = await migrate(opts());
    expect(r.applied.map((a) => a.version)).toEqual(["1", "9223372036854775807"]);
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
      "9223372036854775807",
    ]);
    expect((await migrate(opts())).applied).toEqual([]);
  });

  it("reports the real durations of the migrations that committed before a failure in the same round trip", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("SELECT pg_sleep(0.15);"),
      "2_b.sql": sql("SELECT pg_sleep(0.15);"),
      "3_c.sql": sql("SELECT 1/0;"),
    });
    const events: MigrateEvent[] = [];
    await expect(migrate(opts({ log: (e: MigrateEvent) => events.push(e) }))).rejects.toThrow(
      /3_c\.sql: up failed: division by zero/,
    );
    const recorded = (await query("SELECT duration_ms FROM precog_migrations.history ORDER BY version")).rows.map(
      (row) => row.duration_ms,
    );
    const reported = events.flatMap((e) => (e.type === "applied" ? [e.durationMs] : []));
    expect(reported).toEqual(recorded);
    for (const d of reported) expect(d >= 140 && d < 290, `duration ${d} ms`).toBe(true);
  });

  it("refuses an applied migration whose file changed, naming it (through the cache, and after an in-place edit)", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);"), "2_b.sql": sql("CREATE TABLE b (id int);") });
    await migrate(opts());
    writeFileSync(join(dir, "1_a.sql"), sql("CREATE TABLE a (id bigint);"));
    await expect(migrate(opts())).rejects.toThrow(
      /Cannot migrate .* \(dev\):\n {2}- 1_a\.sql changed after it was applied on dev \(its up section's sha256 was [0-9a-f]{12}…, the file now gives [0-9a-f]{12}…\): restore the applied content and put the change in a new migration \(precog-db new <name>\)\./,
    );
    await expect(migrate(opts({ checksumCache: false }))).rejects.toThrow(
      /1_a\.sql changed after it was applied on dev/,
    );
    const st = await status(opts());
    expect(st.problems).toHaveLength(1);
    expect(st.problems[0]).toMatch(/^1_a\.sql changed after it was applied/);
  });

  it("no-op runs take applied checksums from the stat cache, and an edit invalidates the entry", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    await migrate(opts());
    // Files younger than 2 s are not trusted from the cache (git's "racy" rule); let it pass.
    await new Promise((r) => setTimeout(r, 2100));
    await migrate(opts());
    const cacheFile = join(cacheDir, "cache.json");
    const cache = JSON.parse(readFileSync(cacheFile, "utf8"));
    expect(Object.keys(cache.entries)).toEqual(["1_a.sql"]);
    // Poison the cached checksum: a run that trusts the cache (and so did not read the file) says so.
    cache.entries["1_a.sql"][4] = "f".repeat(64);
    writeFileSync(cacheFile, JSON.stringify(cache));
    await expect(migrate(opts())).rejects.toThrow(
      /1_a\.sql changed after it was applied on dev \(its up section's sha256 was [0-9a-f]{12}…, the file now gives ffffffffffff…\)/,
    );
    // status reads every file, so it is not fooled by the cache.
    expect((await status(opts())).problems).toEqual([]);
    // Touching the file (new mtime and ctime) makes the cache re-read it.
    const now = new Date();
    utimesSync(join(dir, "1_a.sql"), now, now);
    expect((await migrate(opts())).applied).toEqual([]);
  });

  it("a down-section edit is not a change to the applied migration", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;") });
    await migrate(opts());
    writeFileSync(join(dir, "1_a.sql"), sql("CREATE TABLE a (id int);", "DROP TABLE IF EXISTS a;"));
    expect((await migrate(opts())).applied).toEqual([]);
  });

  it("refuses when an applied migration's file is missing", async () => {
    dir = migrationsDir({ "1_a.sql": sql("SELECT 1;"), "2_b.sql": sql("SELECT 2;") });
    await migrate(opts());
    unlinkSync(join(dir, "1_a.sql"));
    await expect(migrate(opts())).rejects.toThrow(
      /Migration 1_a\.sql was applied on dev \(by tester, .*\) but has no file in .*: restore the file \(from git\) rather than deleting applied migrations\./,
    );
  });

  it("refuses a new file older than the newest applied one unless allowed", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE t (v int);"), "3_c.sql": sql("INSERT INTO t VALUES (3);") });
    await migrate(opts());
    writeFileSync(join(dir, "2_b.sql"), sql("INSERT INTO t VALUES (2);"));
    await expect(migrate(opts())).rejects.toThrow(
      "2_b.sql is older than the newest applied migration 3_c.sql: give it a version after 3 (precog-db new <name> picks one), or pass --allow-out-of-order if it really must run after newer ones.",
    );
    expect((await migrate(opts({ allowOutOfOrder: true }))).applied.map((a) => a.version)).toEqual(["2"]);
  });

  it("with `allowed`, applies only migrations upstream applied with the same content", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);"), "2_b.sql": sql("CREATE TABLE b (id int);") });
    const upstreamDb = db;
    const upstream = await migrate(opts({ targetVersion: "1" }));
    expect(upstream.applied.map((a) => a.version)).toEqual(["1"]);
    const allowed = (await readHistory({ connection: connectionFor(upstreamDb), environment: "dev" })).map((h) => ({
      version: h.version,
      checksum: h.checksum,
    }));
    const downstream = await createScratchDatabase("mig_down");
    try {
      const target = { ...opts(), connection: connectionFor(downstream), allowed };
      await expect(migrate(target)).rejects.toThrow(
        "Refusing to migrate dev: pending migrations outside the allowed set:\n  - 2_b.sql is not in the allowed set: it has not been applied upstream yet; apply it there first.",
      );
      expect(await readHistory({ connection: connectionFor(downstream), environment: "dev" })).toEqual([]);
      const tampered = [{ version: "1", checksum: "0".repeat(64) }];
      await expect(migrate({ ...target, allowed: tampered, targetVersion: "1" })).rejects.toThrow(
        /1_a\.sql differs from the content allowed upstream/,
      );
      expect((await migrate({ ...target, targetVersion: "1" })).applied.map((a) => a.version)).toEqual(["1"]);
    } finally {
      await dropDatabase(downstream);
    }
  });

  it("applies statement_timeout per migration, and the default lock_timeout", async () => {
    dir = migrationsDir({
      "1_fast.sql": sql(
        "CREATE TABLE settings_seen AS SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt;",
      ),
      "2_slow.sql": sql("SELECT pg_sleep(2);", "", "statement_timeout:200ms"),
    });
    await expect(migrate(opts())).rejects.toThrow(
      /2_slow\.sql: up failed: canceling statement due to statement timeout \(SQLSTATE 57014\)/,
    );
    expect((await query("SELECT lock, stmt FROM settings_seen")).rows).toEqual([{ lock: "5s", stmt: "15min" }]);
  });

  it("validates options, listing every problem", async () => {
    dir = migrationsDir({});
    await expect(
      migrate({
        ...opts(),
        environment: "qa" as never,
        lockTimeout: "5 s",
        statementTimeout: "25d",
        lockWaitMs: 2147483648,
        batchSize: 0,
        backup: true,
      }),
    ).rejects.toThrow(
      'Invalid migration options:\n  environment: "qa" is not one of dev, test, staging, prod\n  lockTimeout: "5 s" is not a duration such as 500ms, 5s, 15min or 0 (a whole number, then us, ms, s, min, h or d)\n' +
        '  statementTimeout: "25d" is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit\n' +
        "  lockWaitMs: 2147483648 is out of range: at most 2147483647 ms (PostgreSQL's lock_timeout, about 24 days)\n" +
        "  batchSize: 0 is not an integer >= 1\n  backupDir: required when backups are on (they are by default on qa); pass --backup-dir or set PRECOG_BACKUP_DIR",
    );
  });

  it("refuses a file's out-of-range timeout before applying anything, naming the file and line", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "2_b.sql": sql("SELECT 1;", "", "statement_timeout:25d"),
    });
    await expect(migrate(opts())).rejects.toThrow(
      "2_b.sql: line 1: statement_timeout:25d is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit. See docs/migrations.md for the file format.",
    );
    expect((await query("SELECT to_regclass('a') AS a")).rows).toEqual([{ a: null }]);
  });

  it("takes the largest timeouts PostgreSQL takes, and rounds as it does", async () => {
    dir = migrationsDir({
      "1_a.sql": sql(
        "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt;",
        "",
        "lock_timeout:1500us statement_timeout:2147483647ms",
      ),
      "2_b.sql": sql("SELECT 1;", "", "lock_timeout:24d statement_timeout:0"),
    });
    await migrate(opts({ lockTimeout: "35791min", statementTimeout: "2147483647499us", lockWaitMs: 2147483647 }));
    expect((await query("SELECT lock, stmt FROM seen")).rows).toEqual([{ lock: "2ms", stmt: "2147483647ms" }]);
  });
});
