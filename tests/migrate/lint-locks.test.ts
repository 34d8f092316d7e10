/**
 * missing-lock-timeout: every statement kind that takes a lock blocking the application's writes
 * (SHARE or stronger, PostgreSQL's lock table) on an existing table is found, with the lock it
 * takes, while those that do not (SHARE UPDATE EXCLUSIVE and below, DML) are not; and every way a
 * file turns the timeout off is seen, RESET going back to the server's default (no limit), not to
 * the engine's.
 */
import { describe, expect, it } from "vitest";
import { lintUp } from "./lint-helpers";

/** The finding's "<statement> takes <mode> on <table>", or "" without one. */
async function lock(up: string, options = "lock_timeout:0"): Promise<string> {
  const f = (await lintUp(up, options)).filter((x) => x.includes("[missing-lock-timeout]"));
  expect(f.length).toBeLessThanOrEqual(1);
  return f[0]?.replace(/^.*\[missing-lock-timeout\] [^:]*: /, "").replace(/ with lock_timeout.*$/, "") ?? "";
}

describe("missing-lock-timeout: the lock each statement kind takes", () => {
  it.each([
    ["ALTER TABLE t ADD COLUMN c int;", "ALTER TABLE public.t takes ACCESS EXCLUSIVE on public.t"],
    [
      "ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES p (id) NOT VALID;",
      "ALTER TABLE public.t takes SHARE ROW EXCLUSIVE on public.t",
    ],
    ["ALTER TABLE t DISABLE TRIGGER t_audit;", "ALTER TABLE public.t takes SHARE ROW EXCLUSIVE on public.t"],
    [
      "ALTER TABLE m ATTACH PARTITION m1 FOR VALUES IN (1);",
      "ALTER TABLE public.m takes ACCESS EXCLUSIVE on public.m1",
    ],
    [
      "ALTER MATERIALIZED VIEW v SET (fillfactor = 70), OWNER TO x;",
      "ALTER MATVIEW public.v takes ACCESS EXCLUSIVE on public.v",
    ],
    ["CREATE INDEX t_c_idx ON t (c);", "CREATE INDEX on public.t takes SHARE on public.t"],
    ["DROP TABLE t;", "DROP TABLE public.t takes ACCESS EXCLUSIVE on public.t"],
    ["DROP INDEX app.t_c_idx;", "DROP INDEX app.t_c_idx (and its table) takes ACCESS EXCLUSIVE on app.t_c_idx"],
    ["DROP TRIGGER t_audit ON t;", "DROP TRIGGER on public.t takes ACCESS EXCLUSIVE on public.t"],
    ["DROP POLICY own_rows ON app.t;", "DROP POLICY on app.t takes ACCESS EXCLUSIVE on app.t"],
    ["TRUNCATE t;", "TRUNCATE public.t takes ACCESS EXCLUSIVE on public.t"],
    ["LOCK TABLE t;", "LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE takes ACCESS EXCLUSIVE on public.t"],
    ["LOCK TABLE t IN SHARE MODE;", "LOCK TABLE public.t IN SHARE MODE takes SHARE on public.t"],
    [
      "CREATE TRIGGER t_audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit();",
      "CREATE TRIGGER on public.t takes SHARE ROW EXCLUSIVE on public.t",
    ],
    ["CREATE RULE r AS ON INSERT TO t DO ALSO NOTIFY t;", "CREATE RULE on public.t takes ACCESS EXCLUSIVE on public.t"],
    ["CREATE POLICY own_rows ON t USING (true);", "CREATE POLICY on public.t takes ACCESS EXCLUSIVE on public.t"],
    ["ALTER POLICY own_rows ON t USING (false);", "ALTER POLICY on public.t takes ACCESS EXCLUSIVE on public.t"],
    ["ALTER TABLE t SET SCHEMA archive;", "SET SCHEMA of public.t takes ACCESS EXCLUSIVE on public.t"],
    ["CLUSTER t USING t_pkey;", "CLUSTER public.t takes ACCESS EXCLUSIVE on public.t"],
    ["REINDEX TABLE t;", "REINDEX public.t takes SHARE on public.t"],
    ["REFRESH MATERIALIZED VIEW v;", "REFRESH MATERIALIZED VIEW public.v takes ACCESS EXCLUSIVE on public.v"],
    ["REFRESH MATERIALIZED VIEW CONCURRENTLY v;", "REFRESH MATERIALIZED VIEW public.v takes EXCLUSIVE on public.v"],
    ["ALTER SEQUENCE s INCREMENT BY 2;", "ALTER SEQUENCE public.s takes SHARE ROW EXCLUSIVE on public.s"],
    [
      "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;",
      "CREATE OR REPLACE VIEW public.v takes ACCESS EXCLUSIVE on public.v",
    ],
    [
      "CREATE TABLE c (id int, p int REFERENCES p (id));",
      "CREATE TABLE public.c takes SHARE ROW EXCLUSIVE on public.p",
    ],
    [
      "CREATE TABLE m1 PARTITION OF m FOR VALUES IN (1);",
      "CREATE TABLE public.m1 PARTITION OF takes ACCESS EXCLUSIVE on public.m",
    ],
    [
      "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID;",
      "ALTER DOMAIN takes SHARE on every table with a column of domain positive",
    ],
  ])("%s", async (up, expected) => {
    expect(await lock(up)).toBe(expected);
  });

  it.each([
    ["ALTER TABLE t SET (fillfactor = 70);", ""],
    ["ALTER TABLE t VALIDATE CONSTRAINT t_c_check;", ""],
    ["ALTER INDEX t_c_idx RENAME TO t_c_index;", ""],
    ["ANALYZE t;", ""],
    ["COMMENT ON TABLE t IS 'x';", ""],
    [
      "INSERT INTO t VALUES (1);\nUPDATE t SET c = 1 WHERE id = 1;\nDELETE FROM t WHERE id = 1;\nSELECT * FROM t FOR UPDATE;",
      "",
    ],
    [
      "CREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN c int;\nCREATE INDEX n_c_idx ON n (c);\nDROP INDEX n_c_idx;",
      "",
    ],
  ])("%s takes no lock that blocks writes on an existing table", async (up, expected) => {
    expect(await lock(up)).toBe(expected);
  });

  it("CREATE and DROP INDEX CONCURRENTLY and plain VACUUM, in transaction:false files, block no writes", async () => {
    expect(await lock("CREATE INDEX CONCURRENTLY t_c_idx ON t (c);", "transaction:false lock_timeout:0")).toBe("");
    expect(await lock("DROP INDEX CONCURRENTLY t_c_idx;", "transaction:false lock_timeout:0")).toBe("");
    expect(await lock("VACUUM t;", "transaction:false lock_timeout:0")).toBe("");
    expect(await lock("VACUUM FULL t;", "transaction:false lock_timeout:0")).toBe(
      "VACUUM public.t takes ACCESS EXCLUSIVE on public.t",
    );
  });
});

describe("missing-lock-timeout: every way a file turns the timeout off", () => {
  const alter = "ALTER TABLE markets ADD COLUMN note text;";
  const msg = (line: number, off: string) =>
    `${line}:1 error [missing-lock-timeout] public.markets: ALTER TABLE public.markets takes ACCESS EXCLUSIVE on public.markets with ${off}: waiting for its lock, it would block every query on public.markets behind it (set lock_timeout:<n>s on the -- migrate:up line, and drop the statement that turns it off)`;
  const only = async (up: string, options = "") =>
    (await lintUp(up, options)).filter((f) => f.includes("[missing-lock-timeout]"));

  it.each([
    ["SET lock_timeout = 0;", 'lock_timeout = 0 (set by "SET lock_timeout = 0" at line 2)'],
    ["SET lock_timeout TO '0s';", "lock_timeout = 0 (set by \"SET lock_timeout TO '0s'\" at line 2)"],
    ["SET LOCAL lock_timeout = '0ms';", "lock_timeout = 0 (set by \"SET LOCAL lock_timeout = '0ms'\" at line 2)"],
    ["SET SESSION lock_timeout = 0;", 'lock_timeout = 0 (set by "SET SESSION lock_timeout = 0" at line 2)'],
    [
      "SELECT set_config('lock_timeout', '0', true);",
      "lock_timeout = 0 (set by \"SELECT set_config('lock_timeout', '0', true)\" at line 2)",
    ],
    [
      "SELECT pg_catalog.set_config('lock_timeout', '0', false), 1;",
      "lock_timeout = 0 (set by \"SELECT pg_catalog.set_config('lock_timeout', '0', false), 1\" at line 2)",
    ],
    [
      "RESET lock_timeout;",
      `lock_timeout back at the server's default (reset by "RESET lock_timeout" at line 2; 0, no limit, unless the server, database or role sets one)`,
    ],
    [
      "RESET ALL;",
      `lock_timeout back at the server's default (reset by "RESET ALL" at line 2; 0, no limit, unless the server, database or role sets one)`,
    ],
    [
      "SET lock_timeout TO DEFAULT;",
      `lock_timeout back at the server's default (reset by "SET lock_timeout TO DEFAULT" at line 2; 0, no limit, unless the server, database or role sets one)`,
    ],
  ])("%s", async (off, expected) => {
    expect(await only(`${off}\n${alter}`)).toEqual([msg(3, expected)]);
  });

  it("on the up line; set again later, or never turned off, nothing is found", async () => {
    expect(await only(alter, "lock_timeout:0")).toEqual([
      msg(2, "lock_timeout = 0 (lock_timeout:0 on the -- migrate:up line)"),
    ]);
    expect(await only(`SET lock_timeout = 0;\nSET lock_timeout = '3s';\n${alter}`)).toEqual([]);
    expect(await only(`RESET lock_timeout;\nSELECT set_config('lock_timeout', '2s', true);\n${alter}`)).toEqual([]);
    expect(await only(alter)).toEqual([]);
    expect(await only("SELECT 1;", "lock_timeout:0")).toEqual([]);
  });

  it("in a transaction:false file a LOCAL setting ends with its statement, so it turns nothing off", async () => {
    const vacuum = "VACUUM FULL markets;";
    expect(await only(`SET LOCAL lock_timeout = 0;\n${vacuum}`, "transaction:false")).toEqual([]);
    expect(await only(`SELECT set_config('lock_timeout', '0', true);\n${vacuum}`, "transaction:false")).toEqual([]);
    expect((await only(`SET lock_timeout = 0;\n${vacuum}`, "transaction:false")).length).toBe(1);
  });
});
