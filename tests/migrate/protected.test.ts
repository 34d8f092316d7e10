/**
 * What staging and prod add to a run: lint errors stop it before anything is applied, and a
 * pg_dump backup is written first (a failed backup stops the run). Also `validate` finding a
 * hand-made drift, object by object, and the repository's schema going up, down and up again.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { down, migrate, readHistory, validate } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, REPO, removeDir, sql } from "./helpers";

let db: string;
let dir: string | undefined;
let backups: string;
beforeEach(async () => {
  db = await createScratchDatabase("prot");
  backups = mkdtempSync(join(tmpdir(), "precog-backups-"));
});
afterEach(async () => {
  await dropDatabase(db);
  if (dir) removeDir(dir);
  dir = undefined;
  rmSync(backups, { recursive: true, force: true });
});
const query = (text: string) => withAdmin((c) => c.query(text), db);
const staging = (extra: object = {}) => ({
  connection: connectionFor(db),
  dir: dir!,
  environment: "staging" as const,
  backupDir: backups,
  checksumCache: false as const,
  ...extra,
});

describe("staging and prod runs", () => {
  it("refuse pending migrations with lint errors before applying or backing up anything", async () => {
    dir = migrationsDir({
      "1_t.sql": sql("CREATE TABLE t (v int);"),
      "2_drop.sql": sql("ALTER TABLE t DROP COLUMN v;"),
    });
    await expect(migrate(staging())).rejects.toThrow(
      "Refusing to migrate staging: lint found 1 error(s) in pending migrations:\n2_drop.sql:2:1: error [drop-column] DROP COLUMN v on public.t destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)\n" +
        "Make the change safely, or approve it in the file with a reason: -- lint:approve <rule>: <why this is safe>",
    );
    expect(await readHistory({ connection: connectionFor(db), environment: "dev" })).toEqual([]);
    expect(readdirSync(backups)).toEqual([]);
  });

  it("back up with pg_dump, named by environment, time and versions, before applying", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (v int); INSERT INTO t VALUES (42);") });
    await migrate({ ...staging(), environment: "dev" });
    // The same folder gains a file (a second folder here was never removed).
    writeFileSync(join(dir, "2_u.sql"), sql("CREATE TABLE u (v int);"));
    const r = await migrate(staging());
    expect(r.backupFile).toMatch(new RegExp(`^${backups}/staging-\\d{8}T\\d{6}Z-1-to-2\\.dump$`));
    expect(readdirSync(backups)).toHaveLength(1);
    expect(statSync(r.backupFile!).size).toBeGreaterThan(0);
    // The dump holds the state before the run: table t and its row, no table u.
    const { execFileSync } = await import("node:child_process");
    const listing = execFileSync("pg_restore", ["--list", r.backupFile!], { encoding: "utf8" });
    expect(listing).toMatch(/TABLE public t /);
    expect(listing).not.toMatch(/TABLE public u /);
    expect(listing).toMatch(/TABLE DATA public t /);
  });

  it("stop, applying nothing, when the backup fails", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (v int);") });
    await expect(migrate(staging({ pgDump: "/nonexistent/pg_dump" }))).rejects.toThrow(
      /^Backup of staging failed, so nothing was applied: cannot run \/nonexistent\/pg_dump: spawn \/nonexistent\/pg_dump ENOENT/,
    );
    expect(await readHistory({ connection: connectionFor(db), environment: "dev" })).toEqual([]);
    expect(readdirSync(backups)).toEqual([]);
  });

  it("need a backup folder", async () => {
    dir = migrationsDir({});
    await expect(migrate({ ...staging(), backupDir: undefined })).rejects.toThrow(
      "Invalid migration options:\n  backupDir: required when backups are on (they are by default on staging); pass --backup-dir or set PRECOG_BACKUP_DIR",
    );
  });
});

describe("validate", () => {
  it("finds no drift on a database built from the files, and each hand-made change object by object", async () => {
    const opts = { connection: connectionFor(db), dir: join(REPO, "migrations"), environment: "dev" as const };
    await migrate({ ...opts, checksumCache: false });
    expect(await validate(opts)).toMatchObject({ ok: true, drift: [] });

    await query(
      "ALTER TABLE markets ADD COLUMN hand_added int; CREATE INDEX hand_idx ON trades (fee); DROP INDEX trades_model_id_idx",
    );
    await query("UPDATE precog_migrations.history SET checksum = repeat('0', 64) WHERE version = 2");
    const r = await validate(opts);
    expect(r.ok).toBe(false);
    expect(r.drift.map((d) => `${d.kind} ${d.object}`).sort()).toEqual(
      [
        "changed TABLE public.markets",
        "extra INDEX public.hand_idx",
        "history 0002_market_history.sql",
        "missing INDEX public.trades_model_id_idx",
      ].sort(),
    );
    expect(r.drift.find((d) => d.object === "TABLE public.markets")!.detail).toContain("+ hand_added integer");
    // The scratch database is gone.
    expect(
      (await query("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'precog_validate_%'")).rows[0].n,
    ).toBe(0);
  });
});

describe("validate's history findings", () => {
  it("name the file each problem is about, also one that is missing", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (v int);"), "2_u.sql": sql("CREATE TABLE u (v int);") });
    const opts = { connection: connectionFor(db), dir, environment: "dev" as const, checksumCache: false as const };
    await migrate(opts);
    unlinkSync(join(dir, "2_u.sql"));
    const r = await validate(opts);
    expect(r.drift.filter((d) => d.kind === "history")).toEqual([
      {
        kind: "history",
        object: "2_u.sql",
        detail: expect.stringMatching(/^Migration 2_u\.sql was applied on dev .* but has no file in /),
      },
    ]);
  });
});

describe("the repository's schema", () => {
  it("goes up, down to nothing and up again, with real foreign keys", async () => {
    const opts = {
      connection: connectionFor(db),
      dir: join(REPO, "migrations"),
      environment: "test" as const,
      checksumCache: false as const,
    };
    const first = await migrate(opts);
    expect(first.applied.map((a) => `${a.version}_${a.name}`)).toEqual([
      "0001_markets",
      "0002_market_history",
      "0003_models_and_strategies",
      "0004_positions_and_trades",
      "0005_trades_model_id_index",
    ]);
    const fks = (
      await query(
        "SELECT conrelid::regclass::text AS t, confrelid::regclass::text AS r FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2",
      )
    ).rows;
    expect(fks.map((f) => `${f.t}->${f.r}`)).toEqual([
      "market_history->markets",
      "positions->markets",
      "positions->strategies",
      "strategies->models",
      "trades->markets",
      "trades->models",
      "trades->positions",
      "trades->strategies",
    ]);
    await expect(
      query("INSERT INTO markets (venue, external_id, title, yes_price) VALUES ('kalshi', 'X', 'x', 1.5)"),
    ).rejects.toThrow(/markets_yes_price_check/);
    await down({ ...opts, to: "0" });
    expect((await query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n).toBe(0);
    expect((await migrate(opts)).applied).toHaveLength(5);
  });
});
