/**
 * One set of checks behind `lint`, `plan` and `migrate`: statements a migration cannot run
 * (CONCURRENTLY and VACUUM in a transactional section, SET TRANSACTION, transaction control in a
 * down section) are lint findings, `plan` problems, and `migrate` refusals before anything runs,
 * each naming the fix. And the `isolation:` option: the engine begins the transaction at that
 * level, so a migration that needs one applies, on a real server.
 */
import { describe, expect, it } from "vitest";
import { down, migrate, plan } from "../../src/migrate";
import { parseMigration } from "../../src/migrate/files";
import { lintFiles } from "../../src/migrate/lint";
import { scratchMigrations, sql } from "./helpers";
import { lintText, lintUp, show } from "./lint-helpers";

const REF = { version: "0001", order: 1n, name: "x", filename: "0001_x.sql", path: "/m/0001_x.sql" };

const TXF =
  "cannot run inside a transaction block, and this section runs in one: put transaction:false on its -- migrate:up line (it then runs statement by statement, each committed on its own: make them safe to repeat with IF NOT EXISTS / IF EXISTS).";
const ISOLATION =
  "The engine begins each migration's transaction and runs its own statements in it first, so a statement after the section's first can no longer set its isolation level: put isolation:repeatable-read on its -- migrate:up line, or make this statement the section's first (the engine takes that as the same option); either way the engine begins the transaction at that level.";
const NOTE = (which: "up" | "down", level: string, option: string) =>
  `note [isolation-statement] the ${which} section's first statement sets its isolation level: the engine takes it as ${option} and begins the transaction at ${level} (before any statement of its own); say so on the -- migrate:${which} line with ${option}, where it is seen at a glance (the statement may stay)`;

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

  it("SET TRANSACTION after the first statement, naming the option; the same level as the option is allowed", async () => {
    const set = "INSERT INTO t VALUES (1);\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;";
    expect(await lintUp(set, "", "dev")).toEqual([
      `3:1 error [refused] SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section: migrate refuses the file. ${ISOLATION}`,
    ]);
    expect(await lintUp(set, "isolation:repeatable-read")).toEqual([]);
    expect(await lintUp("SET LOCAL transaction_isolation = 'serializable';", "isolation:serializable")).toEqual([]);
    expect(await lintUp("SET TRANSACTION READ ONLY;", "isolation:serializable")).toEqual([
      "2:1 error [refused] SET TRANSACTION READ ONLY in the up section: migrate refuses the file. The engine begins each migration's transaction and runs its own statements in it first, so the file can no longer set its characteristics: remove it (the isolation:repeatable-read or isolation:serializable option on the -- migrate:up line sets the isolation level; a migration's transaction is read-write).",
    ]);
  });

  it("SET TRANSACTION ISOLATION LEVEL as a transactional section's first statement is the isolation: option: a note, no finding", async () => {
    const first = "-- why\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nINSERT INTO t VALUES (1);";
    const text = `-- migrate:up\n${first}\n-- migrate:down\n/* x */ set local transaction isolation level repeatable read;\nDELETE FROM t WHERE id = 1;\n`;
    const report = await lintFiles([parseMigration(REF, text)], { environment: "prod" });
    expect(report.findings.map(show)).toEqual([]);
    expect(report.notes.map(show)).toEqual([
      `3:1 ${NOTE("up", "SERIALIZABLE", "isolation:serializable")}`,
      `6:9 ${NOTE("down", "REPEATABLE READ", "isolation:repeatable-read")}`,
    ]);
    // With the option naming the same level: nothing to say.
    expect(await lintUp(first, "isolation:serializable")).toEqual([]);
    // Another level than the option's: refused, the transaction's level cannot change.
    expect(await lintUp(first, "isolation:repeatable-read")).toEqual([
      "3:1 error [refused] SET TRANSACTION ISOLATION LEVEL SERIALIZABLE in the up section: migrate refuses the file. The section's transaction begins at REPEATABLE READ (isolation: on its -- migrate:up line), and a transaction's isolation level cannot change once it has begun: keep one level.",
    ]);
    // Two statements: the second names another level than the first.
    expect(await lintUp(`${first}\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;`)).toEqual([
      "5:1 error [refused] SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section: migrate refuses the file. The section's transaction begins at SERIALIZABLE (its first statement), and a transaction's isolation level cannot change once it has begun: keep one level.",
    ]);
    // In a transaction:false section there is no transaction to set.
    expect(await lintUp(first, "transaction:false")).toEqual([
      "3:1 error [refused] SET TRANSACTION ISOLATION LEVEL SERIALIZABLE in the up section: migrate refuses the file. A transaction:false section runs each statement on its own, outside any transaction, so there is no transaction for it to set: remove it (a level needs a transactional section: drop transaction:false and put isolation:serializable on its -- migrate:up line).",
    ]);
    // READ COMMITTED is not a level the option offers: refused as before.
    expect(await lintUp("SET TRANSACTION ISOLATION LEVEL READ COMMITTED;")).toHaveLength(1);
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

  it("SET TRANSACTION ISOLATION LEVEL as the first statement: the transaction begins at that level, up and down", async () => {
    const record = "INSERT INTO levels SELECT current_setting('transaction_isolation');";
    files({
      "1_levels.sql": sql("CREATE TABLE levels (level text);"),
      "2_first.sql": sql(
        `-- the level, as psql users write it\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n${record}`,
        `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n${record}`,
      ),
      "3_both.sql": sql(
        `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n${record}`,
        "SELECT 1;",
        "isolation:serializable",
      ),
      "4_default.sql": sql(record, "SELECT 1;"),
    });
    expect((await plan(opts())).problems).toEqual([]);
    await migrate(opts());
    expect(await versions()).toEqual(["1", "2", "3", "4"]);
    expect((await query("SELECT level FROM levels")).rows.map((r) => r.level)).toEqual([
      "repeatable read",
      "serializable",
      "read committed",
    ]);
    await down({ ...opts(), to: "1" });
    expect(await versions()).toEqual(["1"]);
    expect((await query("SELECT level FROM levels")).rows.map((r) => r.level)).toEqual([
      "repeatable read",
      "serializable",
      "read committed",
      "serializable",
    ]);
  });

  it.each([
    [
      "a later statement",
      sql("CREATE TABLE b (id int);\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"),
      `2_b.sql:3:1: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section. ${ISOLATION}`,
    ],
    [
      "a transaction:false section",
      sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCREATE TABLE b (id int);", "", "transaction:false"),
      "2_b.sql:2:1: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ in the up section. A transaction:false section runs each statement on its own, outside any transaction, so there is no transaction for it to set",
    ],
    [
      "a down section's later statement",
      sql("CREATE TABLE b (id int);", "DROP TABLE b;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;"),
      "2_b.sql:5:1: SET TRANSACTION ISOLATION LEVEL SERIALIZABLE in the down section. The engine begins each migration's transaction and runs its own statements in it first, so a statement after the section's first can no longer set its isolation level: put isolation:serializable on its -- migrate:down line, or make this statement the section's first",
    ],
    [
      "another level than the option's",
      sql("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE b (id int);", "", "isolation:repeatable-read"),
      "2_b.sql:2:1: SET TRANSACTION ISOLATION LEVEL SERIALIZABLE in the up section. The section's transaction begins at REPEATABLE READ (isolation: on its -- migrate:up line), and a transaction's isolation level cannot change once it has begun: keep one level.",
    ],
  ])(
    "SET TRANSACTION ISOLATION LEVEL in %s is refused before anything runs, with what to do",
    async (_, text, message) => {
      files({ "1_a.sql": sql("CREATE TABLE a (id int);"), "2_b.sql": text });
      await expect(migrate(opts())).rejects.toThrow(message);
      expect([await versions(), await tables()]).toEqual([[], []]);
    },
  );

  it("transaction control in a down section is refused when the file is applied", async () => {
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
      "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;\nCOMMIT;"),
    });
    await expect(migrate(opts())).rejects.toThrow("2_b.sql:5:1: COMMIT in the down section");
    expect([await versions(), await tables()]).toEqual([[], []]);
  });
});
