/**
 * COPY with the client's stdin or stdout (issue 9, item 17): a migration file cannot carry COPY's
 * data (psql's data rows after the statement are not SQL, and the engine sends none), so it is
 * found by the parser and refused with file and line before anything runs, in transactional and
 * `transaction:false` up sections and in down sections; nothing is applied or recorded, and `plan`
 * lists it as a problem.
 */
import { describe, expect, it } from "vitest";
import { down, migrate, plan } from "../../src/migrate";
import { scratchMigrations, sql } from "./helpers";

const { files, opts, versions, tables } = scratchMigrations("copy");

const FROM_STDIN =
  "A migration file cannot carry COPY's data (the rows after the statement are not SQL, and precog-db sends COPY no data): " +
  "insert the rows with INSERT ... VALUES, COPY from a file on the server, or load them outside migrations (psql's \\copy).";

describe("COPY with the client's stdin or stdout in a migration file", () => {
  it.each([
    [
      "transactional, with psql's data rows",
      "CREATE TABLE t (a text);\nCOPY t (a) FROM stdin;\none\ntwo\n\\.\n",
      "",
      "3:1: COPY ... FROM STDIN in the up section",
    ],
    [
      "transaction:false, with data rows holding a quote (the scanner rejects the section)",
      "CREATE TABLE t (a text);\ncopy t from STDIN;\nit's\n\\.\nCREATE TABLE after (a int);\n",
      "transaction:false",
      "3:1: COPY ... FROM STDIN in the up section",
    ],
    [
      "without data rows",
      "CREATE TABLE t (a text);\n  COPY t FROM STDIN WITH (FORMAT csv);\n",
      "",
      "3:3: COPY ... FROM STDIN in the up section",
    ],
  ])("%s: refused with file and line before anything runs", async (_, up, options, where) => {
    files({ "1_first.sql": sql("CREATE TABLE first (a int);"), "2_copy.sql": sql(up, "", options) });
    await expect(migrate(opts())).rejects.toThrow(`2_copy.sql:${where}. ${FROM_STDIN}`);
    expect([await versions(), await tables()]).toEqual([[], []]);
    // plan also has the parser's syntax error at the data rows, as a lint error.
    expect((await plan(opts())).problems).toContainEqual(expect.stringContaining(`2_copy.sql:${where}. `));
    // The fix (the rows as INSERT) applies.
    files({
      "1_first.sql": sql("CREATE TABLE first (a int);"),
      "2_copy.sql": sql("CREATE TABLE t (a text);\nINSERT INTO t VALUES ('one'), ('two');"),
    });
    expect((await migrate(opts())).applied).toHaveLength(2);
  });

  it("COPY ... TO STDOUT is refused too: its output would go nowhere", async () => {
    files({ "1_out.sql": sql("CREATE TABLE t (a int);\nCOPY (SELECT 1) TO STDOUT;") });
    await expect(migrate(opts())).rejects.toThrow(
      "1_out.sql:3:1: COPY ... TO STDOUT in the up section. A migration's output goes nowhere: remove it, or COPY to a file on the server.",
    );
    expect(await tables()).toEqual([]);
  });

  it("COPY from a server file is not refused, and COPY FROM STDIN in a down section is, by migrate and by down", async () => {
    const up = "CREATE TABLE t (a text);\nCOPY t FROM '/dev/null';";
    files({ "1_t.sql": sql(up, "COPY t FROM STDIN;\nDROP TABLE t;") });
    await expect(migrate(opts())).rejects.toThrow(
      `1_t.sql:5:1: COPY ... FROM STDIN in the down section. ${FROM_STDIN}`,
    );
    expect(await versions()).toEqual([]);
    // Applied with a clean down section, then the down section edited (it is not part of the checksum).
    files({ "1_t.sql": sql(up, "DROP TABLE t;") });
    expect((await migrate(opts())).applied).toHaveLength(1);
    files({ "1_t.sql": sql(up, "COPY t FROM STDIN;\nDROP TABLE t;") });
    await expect(down(opts())).rejects.toThrow(`1_t.sql:5:1: COPY ... FROM STDIN in the down section. ${FROM_STDIN}`);
    expect([await versions(), await tables()]).toEqual([["1"], ["t"]]);
  });
});
