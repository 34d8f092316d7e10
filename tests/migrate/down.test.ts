/**
 * Down migrations: one, or back to a version, each in its own transaction with its history row;
 * a failure rolls back that step only; refused on staging and prod; prod needs confirmation.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { down, migrate, readHistory } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("down");
  dir = migrationsDir({
    "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
    "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;"),
    "3_idx.sql": sql(
      "CREATE INDEX CONCURRENTLY b_id_idx ON b (id);",
      "DROP INDEX CONCURRENTLY b_id_idx;",
      "transaction:false",
    ).replace("-- migrate:down", "-- migrate:down transaction:false"),
    "4_c.sql": sql("CREATE TABLE c (id int);", "DROP TABLE c;"),
  });
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
const tables = async () =>
  (
    await withAdmin(
      (c) => c.query("SELECT relname FROM pg_class WHERE relname IN ('a','b','c','b_id_idx') ORDER BY 1"),
      db,
    )
  ).rows.map((r) => r.relname);
const versions = async () =>
  (await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version);

describe("down", () => {
  it("rolls back the newest migration, then back to a version, through a non-transactional one", async () => {
    await migrate(opts());
    expect((await down(opts())).rolledBack.map((r) => r.version)).toEqual(["4"]);
    expect(await tables()).toEqual(["a", "b", "b_id_idx"]);
    expect((await down(opts({ to: "1" }))).rolledBack.map((r) => r.version)).toEqual(["3", "2"]);
    expect(await tables()).toEqual(["a"]);
    expect(await versions()).toEqual(["1"]);
    expect((await migrate(opts())).applied.map((a) => a.version)).toEqual(["2", "3", "4"]);
    expect((await down(opts({ to: "0" }))).rolledBack).toHaveLength(4);
    expect(await tables()).toEqual([]);
  });

  it("a failing down section rolls back that step only, and says where", async () => {
    await migrate(opts());
    writeFileSync(join(dir, "4_c.sql"), sql("CREATE TABLE c (id int);", "DROP TABLE c;\nDROP TABLE nope;"));
    await expect(down(opts({ to: "2" }))).rejects.toThrow(
      /^4_c\.sql: down failed: table "nope" does not exist \(SQLSTATE 42P01\)\n {2}at .*4_c\.sql:5:1\n/,
    );
    expect(await tables()).toEqual(["a", "b", "b_id_idx", "c"]);
    expect(await versions()).toEqual(["1", "2", "3", "4"]);
  });

  it("refuses when the applied file changed, since its down may not undo what ran", async () => {
    await migrate(opts());
    writeFileSync(join(dir, "4_c.sql"), sql("CREATE TABLE c (id bigint);", "DROP TABLE c;"));
    await expect(down(opts())).rejects.toThrow(
      /4_c\.sql changed after it was applied: its down section may not undo what was applied; restore the applied version first\./,
    );
  });

  it.each(["staging", "prod"] as const)("is refused on %s", async (environment) => {
    await migrate(opts());
    await expect(down(opts({ environment, prodConfirmed: true }))).rejects.toThrow(
      `Refusing to run down migrations on ${environment}: destructive operations are only allowed on dev and test. On ${environment}, undo a change with a new forward migration (precog-db new <name>).`,
    );
    expect(await versions()).toEqual(["1", "2", "3", "4"]);
  });
});

describe("prod confirmation in the engine", () => {
  it("refuses to migrate prod unless confirmed", async () => {
    const saved = process.env.PRECOG_PROD_CONFIRMED;
    delete process.env.PRECOG_PROD_CONFIRMED;
    try {
      await expect(migrate(opts({ environment: "prod", backupDir: "/tmp" }))).rejects.toThrow(
        /^Refusing to apply migrations on prod: PRECOG_PROD_CONFIRMED is not "yes"\./,
      );
      expect(await versions()).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.PRECOG_PROD_CONFIRMED = saved;
    }
  });
});
