/**
 * Failures leave nothing half applied, and say where: file, line, column, the failing statement
 * and a caret. Also the non-transactional path, which cannot roll back and says what it left.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationError, migrate, readHistory } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("err");
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const opts = () => ({ connection: connectionFor(db), dir, environment: "dev" as const, checksumCache: false as const });
const query = (text: string) => withAdmin((c) => c.query(text), db);
const failure = async (): Promise<MigrationError> => {
  try {
    await migrate(opts());
  } catch (err) {
    return err as MigrationError;
  }
  throw new Error("migrate did not fail");
};

describe("a failing migration", () => {
  it("reports a syntax error at its exact line and column, with the statement and a caret", async () => {
    dir = migrationsDir({
      "1_ok.sql": sql("CREATE TABLE ok (id int);"),
      "2_bad.sql":
        "-- a comment line\n-- migrate:up\nCREATE TABLE t1 (id int);\n\nINSERT INTO t1\n  SELEC 1;\n-- migrate:down\n",
    });
    const err = await failure();
    expect(err).toBeInstanceOf(MigrationError);
    expect([err.filename, err.line, err.column, err.sqlState]).toEqual(["2_bad.sql", 6, 3, "42601"]);
    expect(err.message).toBe(
      [
        '2_bad.sql: up failed: syntax error at or near "SELEC" (SQLSTATE 42601)',
        `  at ${dir}/2_bad.sql:6:3`,
        "  5 | INSERT INTO t1",
        "  6 |   SELEC 1;",
        "    |   ^",
        "  Rolled back: nothing from 2_bad.sql was applied (the 1 migration(s) before it were).",
        "  Next: fix 2_bad.sql and run the command again.",
      ].join("\n"),
    );
    expect((await query("SELECT to_regclass('t1') AS t")).rows[0].t).toBeNull();
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
    ]);
  });

  it("an error that rejects the whole message before it runs, without a position, is the right file's: the ones before it apply", async () => {
    // PostgreSQL refuses WITH TIES without ORDER BY while it parses the message, naming no position.
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "2_c.sql": sql("CREATE TABLE c (id int);"),
      "3_b.sql": sql("CREATE TABLE b AS SELECT id FROM a FETCH FIRST 1 ROWS WITH TIES;"),
      "4_d.sql": sql("CREATE TABLE d (id int);"),
    });
    const err = await failure();
    expect([err.filename, err.sqlState]).toEqual(["3_b.sql", "42601"]);
    expect(err.message.split("\n")[0]).toBe(
      "3_b.sql: up failed: WITH TIES cannot be specified without ORDER BY clause (SQLSTATE 42601)",
    );
    expect(err.message).toContain(
      "  Rolled back: nothing from 3_b.sql was applied (the 2 migration(s) before it were).",
    );
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
      "2",
    ]);
    expect((await query("SELECT to_regclass('d') AS t")).rows[0].t).toBeNull();
  });

  it("locates a semantic error by the server's position, in a file with multi-byte text", async () => {
    dir = migrationsDir({ "1_x.sql": sql("CREATE TABLE m (name text DEFAULT 'é€😀');\nSELECT nope FROM m;") });
    const err = await failure();
    expect([err.line, err.column]).toEqual([3, 8]);
    expect(err.message).toContain('1_x.sql: up failed: column "nope" does not exist (SQLSTATE 42703)\n');
    expect(err.message).toContain("  3 | SELECT nope FROM m;\n    |        ^\n");
  });

  it("without a position from the server, finds the failing statement by counting completed ones", async () => {
    dir = migrationsDir({
      "1_x.sql": sql(
        "CREATE TABLE u (id int UNIQUE);\nINSERT INTO u VALUES (1);\nINSERT INTO u\n  VALUES (1);\nSELECT 1;",
      ),
    });
    const err = await failure();
    expect([err.line, err.column, err.sqlState]).toEqual([4, 1, "23505"]);
    expect(err.message).toContain("  4 | INSERT INTO u\n    | ^\n  5 |   VALUES (1);\n");
    expect(err.message).toContain("  detail: Key (id)=(1) already exists.");
    expect((await query("SELECT to_regclass('u') AS t")).rows[0].t).toBeNull();
  });

  it("a non-transactional migration reports what it left behind and how to resume", async () => {
    dir = migrationsDir({
      "1_t.sql": sql("CREATE TABLE d (v int); INSERT INTO d VALUES (1), (1);"),
      "2_idx.sql": sql(
        "CREATE INDEX CONCURRENTLY d_v_plain ON d (v);\nCREATE UNIQUE INDEX CONCURRENTLY d_v_key ON d (v);",
        "",
        "transaction:false",
      ),
    });
    const err = await failure();
    expect([err.filename, err.line, err.column]).toEqual(["2_idx.sql", 3, 1]);
    expect(err.message).toContain(
      "  Not in a transaction, so not rolled back: statement 2 of 2 failed; statements 1-1 ran and their effects remain. 2_idx.sql is not recorded in precog_migrations.history. Left behind: invalid index(es) public.d_v_key.",
    );
    expect(err.message).toContain(
      "  Next: drop the invalid index(es) (DROP INDEX CONCURRENTLY IF EXISTS public.d_v_key), fix the file",
    );
    const idx = (
      await query(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'd_v%' ORDER BY 1",
      )
    ).rows;
    expect(idx).toEqual([
      { relname: "d_v_key", indisvalid: false },
      { relname: "d_v_plain", indisvalid: true },
    ]);
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
    ]);
  });

  it("runs CREATE INDEX CONCURRENTLY outside a transaction and records it", async () => {
    dir = migrationsDir({
      "1_t.sql": sql("CREATE TABLE e (v int);"),
      "2_idx.sql": sql("CREATE INDEX CONCURRENTLY e_v_idx ON e (v);\n-- trailing comment", "", "transaction:false"),
      "3_after.sql": sql("INSERT INTO e VALUES (1);"),
    });
    const r = await migrate(opts());
    expect(r.applied.map((a) => [a.version, a.transactional])).toEqual([
      ["1", true],
      ["2", false],
      ["3", true],
    ]);
    expect((await query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'e_v_idx'::regclass")).rows).toEqual([
      { indisvalid: true },
    ]);
  });

  it("a file missing its final semicolon or ending in a comment still records correctly", async () => {
    dir = migrationsDir({ "1_a.sql": "-- migrate:up\nCREATE TABLE f (id int) -- no semicolon" });
    expect((await migrate(opts())).applied).toHaveLength(1);
    expect((await query("SELECT to_regclass('f')::text AS t")).rows[0].t).toBe("f");
  });
});

describe("a migration whose transaction cannot take its history row (issue 30, item 14)", () => {
  it("is reported as the history write failing after its statements ran, and why, not as an unknown statement", async () => {
    // SET TRANSACTION in a file is refused before anything runs; the setting it changes is not.
    dir = migrationsDir({ "1_ro.sql": sql("CREATE TABLE ro (id int);\nSET LOCAL transaction_read_only = on;") });
    const err = await failure();
    expect(err.message).toBe(
      [
        "1_ro.sql: up failed: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)",
        "  after its 2 statement(s) ran, writing its history row to precog_migrations.history failed in the same transaction, which rolled back with it: look for what the file leaves its transaction in (transaction_read_only set on, a lock, trigger or rule on precog_migrations.history).",
        "  Rolled back: nothing from 1_ro.sql was applied.",
        "  Next: fix 1_ro.sql and run the command again.",
      ].join("\n"),
    );
    expect([err.line, err.column, err.sqlState]).toEqual([undefined, undefined, "25006"]);
    expect((await query("SELECT to_regclass('ro') AS t")).rows[0].t).toBeNull();
  });

  it("a trigger the file put on the history table: its frame in the context, not the engine's own function's", async () => {
    dir = migrationsDir({
      "1_trigger.sql": sql(
        [
          "CREATE FUNCTION no_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no rows here'; END $$;",
          "CREATE TRIGGER no_rows BEFORE INSERT ON precog_migrations.history FOR EACH ROW EXECUTE FUNCTION no_rows();",
        ].join("\n"),
      ),
    });
    const err = await failure();
    expect(err.message.split("\n").slice(0, 4)).toEqual([
      "1_trigger.sql: up failed: no rows here (SQLSTATE P0001)",
      "  after its 2 statement(s) ran, writing its history row to precog_migrations.history failed in the same transaction, which rolled back with it: look for what the file leaves its transaction in (transaction_read_only set on, a lock, trigger or rule on precog_migrations.history).",
      "  context: PL/pgSQL function no_rows() line 1 at RAISE",
      "  Rolled back: nothing from 1_trigger.sql was applied.",
    ]);
    expect((await query("SELECT to_regproc('no_rows') AS f")).rows[0].f).toBeNull();
  });

  it("a deferred constraint that fails at COMMIT is reported as the commit failing", async () => {
    dir = migrationsDir({
      "1_deferred.sql": sql(
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO c VALUES (1);",
      ),
    });
    const err = await failure();
    expect(err.message.split("\n").slice(0, 2)).toEqual([
      '1_deferred.sql: up failed: insert or update on table "c" violates foreign key constraint "c_p_fkey" (SQLSTATE 23503)',
      "  after its 3 statement(s) ran, committing failed in the same transaction, which rolled back with it: a deferred constraint or constraint trigger the file set up failed at COMMIT.",
    ]);
    expect((await query("SELECT to_regclass('p') AS t")).rows[0].t).toBeNull();
  });
});
