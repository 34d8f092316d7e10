/**
 * One set of checks behind `lint`, `plan` and `migrate`: statements a migration cannot run
 * (CONCURRENTLY and VACUUM in a transactional section, SET TRANSACTION, transaction control in a
 * down section) are lint findings, `plan` problems, and `migrate` refusals before anything runs,
 * each naming the fix. And the `isolation:` option: the engine begins the transaction at that
 * level, so a migration that needs one applies, on a real server.
 */
import { describe, expect, it } from "vitest";
import { migrate, plan } from "../../src/migrate";
import { scratchMigrations, sql } from "./helpers";
import { lintText, lintUp } from "./lint-helpers";

const TXF =
  "cannot run inside a transaction block, and this section runs in one: put transaction:false on its -- migrate:up line (it then runs statement by statement, each committed on its own: make them safe to repeat with IF NOT EXISTS / IF EXISTS).";
const ISOLATION =
  "The engine begins each migration's transaction and runs its own statements in it first, so the file can no longer set its isolation level: put isolation:repeatable-read on its -- migrate:up line (the engine then begins the transaction at that level), and remove the statement or keep it naming the same level.";

describe("lint reports what migrate refuses", () => {
  it.each([
    ["CREATE INDEX CONCURRENTLY t_c_idx ON t (c);", "CREATE INDEX CONCURRENTLY"],
    ["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c);", "CREATE INDEX CONCURRENTLY"],
    ["DROP INDEX CONCURRENTLY IF EXISTS t_c_idx;", "DROP INDEX CONCURRENTLY"],
    ["REINDEX INDEX CONCURRENTLY t_c_idx;", "REINDEX CONCURRENTLY"],
    ["ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY;", "DETACH PARTITION CONCURRENTLY"],
    ["VACUUM t;", "VACUUM"],
    ["ALTER SYSTEM SET work_mem = '64MB';", "ALTER SYSTEM"],
  ])("%s in a transactional section", async (up, keyword) => {
    expect((await lintUp(up)).filter((f) => f.includes("[refused]"))).toEqual([
      `2:1 error [refused] ${keyword} in the up section: migrate refuses the file. ${keyword} ${TXF}`,
    ]);
    expect((await lintUp(up, "transaction:false")).filter((f) => f.includes("[refused]"))).toEqual([]);
  });

  it("SET TRANSACTION, naming the option; the same level as the option is allowed", async () => {
    const set = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nINSERT INTO t VALUES (1);";
    expect(await lintUp(set, "", "dev")).toEqual([
      `2:1 error [refused] SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section: migrate refuses the file. ${ISOLATION}`,
    ]);
    expect(await lintUp(set, "isolation:repeatable-read")).toEqual([]);
    expect(await lintUp("SET LOCAL transaction_isolation = 'serializable';", "isolation:serializable")).toEqual([]);
    expect(await lintUp("SET TRANSACTION READ ONLY;", "isolation:serializable")).toEqual([
      "2:1 error [refused] SET TRANSACTION READ ONLY in the up section: migrate refuses the file. The engine begins each migration's transaction and runs its own statements in it first, so the file can no longer set its characteristics: remove it (the isolation:repeatable-read or isolation:serializable option on the -- migrate:up line sets the isolation level; a migration's transaction is read-write).",
    ]);
  });

  it("transaction control in the down section", async () => {
    expect(
      await lintText("-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\nCOMMIT;\n", "dev"),
    ).toEqual([
      "5:1 error [refused] COMMIT in the down section: migrate refuses the file. precog-db runs each migration in one transaction of its own and records it there, so a file must not begin, end or divide transactions: remove it (a section that cannot run in a transaction takes transaction:false on its -- migrate:down line).",
    ]);
  });
});

describe("plan and migrate refuse them before anything runs", () => {
  const { files, opts, versions, tables, query } = scratchMigrations("lintref");

  it("CONCURRENTLY in a transactional file: plan lists it, migrate applies nothing", async () => {
    files({
      "1_t.sql": sql("CREATE TABLE t (c int);"),
      "2_idx.sql": sql("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);"),
    });
    const p = await plan(opts());
    expect(p.problems).toEqual([
      `2_idx.sql:2:1: CREATE INDEX CONCURRENTLY in the up section. CREATE INDEX CONCURRENTLY ${TXF}`,
    ]);
    await expect(migrate(opts())).rejects.toThrow(
      `Refusing to run: 1 statement(s) in migration files cannot run in a migration. Nothing was applied.\n  - 2_idx.sql:2:1: CREATE INDEX CONCURRENTLY in the up section. CREATE INDEX CONCURRENTLY ${TXF}`,
    );
    expect([await versions(), await tables()]).toEqual([[], []]);
  });

  it("SET TRANSACTION without the option is refused, naming it; with the option the level is in force", async () => {
    const up =
      "CREATE TABLE levels (level text);\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nINSERT INTO levels SELECT current_setting('transaction_isolation');";
    files({ "1_first.sql": sql("CREATE TABLE first (id int);"), "2_level.sql": sql(up) });
    await expect(migrate(opts())).rejects.toThrow(
      `2_level.sql:3:1: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section. ${ISOLATION}`,
    );
    expect(await versions()).toEqual([]);

    files({
      "1_first.sql": sql("CREATE TABLE first (id int);"),
      "2_level.sql": sql(up, "", "isolation:repeatable-read"),
      "3_serial.sql": sql(
        "INSERT INTO levels SELECT current_setting('transaction_isolation');",
        "",
        "isolation:serializable",
      ),
      "4_default.sql": sql("INSERT INTO levels SELECT current_setting('transaction_isolation');"),
    });
    await migrate(opts());
    expect(await versions()).toEqual(["1", "2", "3", "4"]);
    expect((await query("SELECT level FROM levels")).rows.map((r) => r.level)).toEqual([
      "repeatable read",
      "serializable",
      "read committed",
    ]);
  });

  it("transaction control in a down section is refused when the file is applied", async () => {
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
      "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;\nCOMMIT;"),
    });
    await expect(migrate(opts())).rejects.toThrow("2_b.sql:5:1: COMMIT in the down section");
    expect([await versions(), await tables()]).toEqual([[], []]);
  });
});
