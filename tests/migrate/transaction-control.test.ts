/**
 * A migration must not control its own transaction (issue 9, item 1): BEGIN, COMMIT, ROLLBACK,
 * END, savepoints and two-phase commands in an up or a down section, transactional or
 * `transaction:false`, are found by the parser and refused with file and line before anything
 * runs; nothing is applied, nothing recorded, and the rerun after the fix works. A down section's
 * is found when its file is applied (issue 28), and again before `down` runs it.
 */
import { describe, expect, it } from "vitest";
import { down, migrate } from "../../src/migrate";
import { scratchMigrations, sql } from "./helpers";

const { files, opts, versions, tables } = scratchMigrations("txc");
const failure = async (run: () => Promise<unknown>): Promise<Error> => {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  throw new Error("the run did not fail");
};

describe("transaction control in a migration file", () => {
  it.each([
    [
      "COMMIT in a transactional up section",
      "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);",
      "",
      4,
      "COMMIT",
    ],
    ["BEGIN ... COMMIT around the up section", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;", "", 3, "BEGIN"],
    ["END (COMMIT's other name)", "CREATE TABLE a (id int);\n  end;", "", 4, "END"],
    ["ROLLBACK, lower case", "create table a (id int); rollback;", "", 3, "ROLLBACK"],
    [
      "START TRANSACTION in a transaction:false section",
      "START TRANSACTION;\nCREATE TABLE a (id int);",
      "transaction:false",
      3,
      "START TRANSACTION",
    ],
    ["COMMIT in a transaction:false section", "CREATE TABLE a (id int);\nCOMMIT;", "transaction:false", 4, "COMMIT"],
    ["BEGIN in text the parser rejects", "BEGIN;\nCREATE TABLE a (id int;", "transaction:false", 3, "BEGIN"],
    ["SAVEPOINT", "SAVEPOINT s1;\nCREATE TABLE a (id int);", "", 3, "SAVEPOINT"],
    ["PREPARE TRANSACTION", "CREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';", "", 4, "PREPARE TRANSACTION"],
  ])("%s is refused with file and line before anything runs", async (_, up, options, line, keyword) => {
    files({
      "1_first.sql": sql("CREATE TABLE first (id int);"),
      "2_ctl.sql": `-- header\n${sql(up, "", options)}`,
    });
    const err = await failure(() => migrate(opts()));
    expect(err.message).toContain(`2_ctl.sql:${line}:`);
    expect(err.message).toContain(`${keyword} in the up section`);
    expect(err.message).toContain("Nothing was applied.");
    expect(await tables()).toEqual([]);
    expect(await versions()).toEqual([]);
    // Fixed, the same files apply.
    files({
      "1_first.sql": sql("CREATE TABLE first (id int);"),
      "2_ctl.sql": sql("CREATE TABLE a (id int);"),
    });
    await migrate(opts());
    expect(await versions()).toEqual(["1", "2"]);
  });

  it("a plpgsql body's BEGIN ... END and a BEGIN ATOMIC function are not transaction control", async () => {
    files({
      "1_fn.sql": sql(
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n" +
          "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n" +
          "CREATE TABLE c (v text DEFAULT 'commit; begin;');",
      ),
    });
    await migrate(opts());
    expect(await versions()).toEqual(["1"]);
  });

  it("COMMIT in a down section is refused before any down runs, transactional or not", async () => {
    // Applied clean; the down sections edited afterwards (they are not part of the checksum).
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
      "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;"),
      "3_c.sql": sql("CREATE TABLE c (id int);", "DROP TABLE c;"),
    });
    await migrate(opts());
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
      "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;\nCOMMIT;"),
      "3_c.sql": `-- migrate:up\nCREATE TABLE c (id int);\n-- migrate:down transaction:false\nBEGIN;\nDROP TABLE c;\n`,
    });
    const err = await failure(() => down({ ...opts(), to: "0" }));
    expect(err.message).toContain("3_c.sql:4:1: BEGIN in the down section");
    expect(err.message).toContain("2_b.sql:5:1: COMMIT in the down section");
    expect(await versions()).toEqual(["1", "2", "3"]);
    expect(await tables()).toEqual(["a", "b", "c"]);
  });

  it("a down section with transaction control is refused when its file is applied, before anything runs", async () => {
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);", "DROP TABLE a;"),
      "2_b.sql": sql("CREATE TABLE b (id int);", "DROP TABLE b;\nCOMMIT;"),
    });
    const err = await failure(() => migrate(opts()));
    expect(err.message).toContain("2_b.sql:5:1: COMMIT in the down section");
    expect(err.message).toContain("Nothing was applied.");
    expect(await versions()).toEqual([]);
  });
});
