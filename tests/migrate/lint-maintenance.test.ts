/**
 * Maintenance and renames, one case per statement form (DROP INDEX, REINDEX, DETACH PARTITION
 * without CONCURRENTLY; VACUUM FULL, CLUSTER; renames of tables, views, columns, schemas and enum
 * values), and the destructive rules one level down: DML in a data-modifying CTE, under EXPLAIN
 * ANALYZE, MERGE ... DELETE, in the body of a function or procedure the file creates and calls,
 * and setval() on a sequence the file did not create.
 */
import { describe, expect, it } from "vitest";
import { lintUp, rulesFor } from "./lint-helpers";

const TXF = "in a transaction:false migration";

describe("CONCURRENTLY forms and table rewrites", () => {
  it.each([
    [
      "DROP INDEX IF EXISTS idx1, app.idx2;",
      `2:1 error [drop-index-not-concurrent] the table of public.idx1: DROP INDEX public.idx1, app.idx2 without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table, blocking reads and writes while it waits and runs: DROP INDEX CONCURRENTLY (one index per statement) ${TXF}`,
    ],
    [
      "REINDEX TABLE orders;",
      `2:1 error [reindex-not-concurrent] public.orders: REINDEX TABLE public.orders without CONCURRENTLY blocks writes to the table, and reads that use the index, while it rebuilds: REINDEX ... CONCURRENTLY ${TXF}`,
    ],
    [
      "REINDEX INDEX orders_pkey;",
      `2:1 error [reindex-not-concurrent] public.orders_pkey: REINDEX INDEX public.orders_pkey without CONCURRENTLY blocks writes to the table, and reads that use the index, while it rebuilds: REINDEX ... CONCURRENTLY ${TXF}`,
    ],
    [
      "ALTER TABLE measurements DETACH PARTITION measurements_2020;",
      `2:1 error [detach-partition-not-concurrent] public.measurements: DETACH PARTITION public.measurements_2020 without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on public.measurements, blocking reads and writes of every partition: DETACH PARTITION ... CONCURRENTLY ${TXF}`,
    ],
    [
      "CLUSTER orders USING orders_pkey;",
      "2:1 error [vacuum-full-or-cluster] public.orders: CLUSTER rewrites public.orders under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends, and needs room for a second copy: reclaim space with plain VACUUM, or rebuild online with a tool such as pg_repack outside migrations",
    ],
  ])("%s", async (up, expected) => {
    expect(await lintUp(up)).toEqual([expected]);
  });

  it("VACUUM FULL (transaction:false, where VACUUM can run)", async () => {
    expect(await lintUp("VACUUM (FULL, ANALYZE) orders;", "transaction:false")).toEqual([
      "2:1 error [vacuum-full-or-cluster] public.orders: VACUUM FULL rewrites public.orders under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends, and needs room for a second copy: reclaim space with plain VACUUM, or rebuild online with a tool such as pg_repack outside migrations",
    ]);
  });

  it.each([
    ["DROP INDEX CONCURRENTLY IF EXISTS idx1;", "transaction:false"],
    ["REINDEX TABLE CONCURRENTLY orders;", "transaction:false"],
    ["ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;", "transaction:false"],
    ["VACUUM (ANALYZE) orders;", "transaction:false"],
    ["CREATE TABLE n (id int);\nCREATE INDEX n_idx ON n (id);\nREINDEX TABLE n;\nDROP INDEX n_idx;\nCLUSTER n;", ""],
  ])("%s passes", async (up, options) => {
    expect(await rulesFor(up, options)).toEqual([]);
  });
});

describe("rename", () => {
  const broken = "breaks every running query and deployed version of the code that uses the old name";
  it.each([
    [
      "ALTER TABLE users RENAME TO customers;",
      `2:1 error [rename] public.users: renaming public.users to customers ${broken}: create customers beside it (or a view of that name over it), move the code to the new name in a release, then drop the old one in a later migration`,
    ],
    [
      "ALTER VIEW app.active RENAME TO live;",
      `2:1 error [rename] app.active: renaming app.active to live ${broken}: create live beside it (or a view of that name over it), move the code to the new name in a release, then drop the old one in a later migration`,
    ],
    [
      "ALTER MATERIALIZED VIEW daily RENAME TO per_day;",
      `2:1 error [rename] public.daily: renaming public.daily to per_day ${broken}: create per_day beside it (or a view of that name over it), move the code to the new name in a release, then drop the old one in a later migration`,
    ],
    [
      "ALTER TABLE users RENAME COLUMN name TO full_name;",
      `2:1 error [rename] public.users: renaming column public.users.name to full_name ${broken}: add full_name, write both from the code, backfill it in batches, move the reads, then drop name in a later migration`,
    ],
    [
      "ALTER SCHEMA billing RENAME TO invoicing;",
      `2:1 error [rename] every table in schema billing: renaming schema billing to invoicing ${broken}: create schema invoicing, move the code to it (search_path or qualified names) and the objects over in steps, then drop billing`,
    ],
    [
      "ALTER TYPE status RENAME VALUE 'done' TO 'completed';",
      `2:1 error [rename] the tables using type public.status: renaming value 'done' of enum public.status to 'completed' ${broken}: ADD VALUE 'completed', move the code and the rows (in batches) to it, and stop using 'done'`,
    ],
  ])("%s", async (up, expected) => {
    expect(await lintUp(up)).toEqual([expected]);
  });

  it.each([
    "ALTER INDEX users_pkey RENAME TO users_pk;",
    "ALTER TABLE users RENAME CONSTRAINT users_check TO users_age_check;",
    "ALTER TYPE status ADD VALUE 'completed' AFTER 'done';",
    "CREATE TABLE staging_users (id int);\nALTER TABLE staging_users RENAME COLUMN id TO user_id;\nALTER TABLE staging_users RENAME TO fresh_users;",
  ])("%s passes", async (up) => {
    expect(await rulesFor(up)).toEqual([]);
  });
});

describe("destructive statements one level down", () => {
  it.each([
    ["WITH gone AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM gone;", ["delete-without-where"]],
    [
      "WITH u AS (UPDATE users SET active = false RETURNING id) INSERT INTO audit SELECT id FROM u;",
      ["update-without-where"],
    ],
    ["EXPLAIN ANALYZE DELETE FROM sessions;", ["delete-without-where"]],
    ["EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET active = false;", ["update-without-where"]],
    ["MERGE INTO users u USING old_users o ON u.id = o.id WHEN MATCHED THEN DELETE;", ["delete-without-where"]],
  ])("%s", async (up, rules) => {
    expect(await rulesFor(up)).toEqual(rules);
  });

  it.each([
    "EXPLAIN DELETE FROM sessions;",
    "EXPLAIN (ANALYZE false) DELETE FROM sessions;",
    "WITH gone AS (DELETE FROM sessions WHERE expired RETURNING id) SELECT count(*) FROM gone;",
    "MERGE INTO users u USING old_users o ON u.id = o.id WHEN MATCHED AND o.deleted THEN DELETE;",
    "CREATE TABLE tmp (id int);\nDELETE FROM tmp;\nUPDATE tmp SET id = 1;",
    "CREATE RULE r AS ON DELETE TO users DO INSTEAD DELETE FROM archive;",
  ])("%s passes", async (up) => {
    expect(await rulesFor(up)).toEqual([]);
  });

  it("MERGE ... DELETE says what it removes", async () => {
    expect(await lintUp("MERGE INTO users u USING old_users o ON u.id = o.id WHEN MATCHED THEN DELETE;")).toEqual([
      "2:1 error [delete-without-where] public.users: MERGE INTO public.users ... THEN DELETE removes every row its join matches, with no further condition; change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations",
    ]);
  });

  it("a function or procedure created and called in the same file is linted where it is called", async () => {
    const sqlFn = "CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS 'DELETE FROM sessions';";
    expect(await lintUp(`${sqlFn}\nSELECT purge();`)).toEqual([
      "3:1 error [delete-without-where] public.sessions: in purge(), defined in this file and called here: DELETE FROM public.sessions has no WHERE: it removes every row; change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations",
    ]);
    expect(await rulesFor(sqlFn)).toEqual([]);
    expect(
      await rulesFor("CREATE PROCEDURE wipe() LANGUAGE sql BEGIN ATOMIC TRUNCATE audit; END;\nCALL wipe();"),
    ).toEqual(["truncate"]);
    expect(
      await rulesFor(
        "CREATE FUNCTION migrate_rows() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  IF true THEN\n    UPDATE users SET v = 1;\n  END IF;\n  FOR i IN 1..2 LOOP\n    DROP TABLE old_things;\n  END LOOP;\nEND $$;\nSELECT migrate_rows();",
      ),
    ).toEqual(["update-without-where", "drop-table"]);
    expect(
      await rulesFor(
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; RETURN NEW; END $$;",
      ),
    ).toEqual([]);
  });

  it("setval() on a sequence the file did not create; not on one it did", async () => {
    expect(await lintUp("SELECT setval('orders_id_seq', 1);")).toEqual([
      "2:1 error [sequence-restart] public.orders_id_seq: setval() on public.orders_id_seq, which this file did not create, moves its position: set below the highest id in use, it hands out ids already taken; set it from the data, never below it (setval(seq, greatest(max(id), currval)))",
    ]);
    expect(
      await rulesFor("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));"),
    ).toEqual(["sequence-restart"]);
    expect(await rulesFor("SELECT setval('app.s'::regclass, 10, false);")).toEqual(["sequence-restart"]);
    expect(await rulesFor("CREATE SEQUENCE s;\nSELECT setval('s', 100);")).toEqual([]);
    expect(
      await rulesFor(
        "CREATE TABLE orders (id serial);\nINSERT INTO orders VALUES (5);\nSELECT setval(pg_get_serial_sequence('orders', 'id'), 5);\nSELECT setval('orders_id_seq', 6);",
      ),
    ).toEqual([]);
  });
});
