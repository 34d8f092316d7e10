/**
 * The destructive-statement rules from the review of the parser's statement kinds (issue 9,
 * item 7): each with a failing and a passing case, exact message; and on a real server, `migrate`
 * on staging refuses DROP SCHEMA ... CASCADE and DROP OWNED unapproved, applying nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import { type MigrationRef, parseMigration } from "../../src/migrate/files";
import { lintFiles } from "../../src/migrate/lint";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

const ref: MigrationRef = { version: "0002", order: 2n, name: "x", filename: "0002_x.sql", path: "/m/0002_x.sql" };
const findings = async (up: string) =>
  (
    await lintFiles([parseMigration(ref, `-- migrate:up\n${up}\n-- migrate:down\n`)], { environment: "prod" })
  ).findings.map((f) => `${f.severity} [${f.rule}] ${f.message}`);

describe("destructive-statement rules", () => {
  it.each([
    [
      "DROP SCHEMA audit CASCADE;",
      [
        "error [drop-schema] DROP SCHEMA audit destroys the schema and every object in it, with their data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
        "error [drop-cascade] DROP SCHEMA audit CASCADE also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here: drop each dependent by name first, then this without CASCADE",
      ],
      "CREATE SCHEMA audit;",
    ],
    [
      "DROP SCHEMA old;",
      [
        "error [drop-schema] DROP SCHEMA old destroys the schema: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      ],
      "ALTER SCHEMA old OWNER TO precog_owner;",
    ],
    [
      "DROP OWNED BY precog_old_user CASCADE;",
      [
        "error [drop-cascade] DROP OWNED ... CASCADE also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here: drop each dependent by name first, then this without CASCADE",
        "error [drop-owned] DROP OWNED BY precog_old_user drops every object they own in this database, with their data: REASSIGN OWNED BY ... TO another role first, then DROP OWNED drops only their privileges",
      ],
      "REASSIGN OWNED BY precog_old_user TO precog_owner;",
    ],
    [
      "DROP VIEW market_summary CASCADE;",
      [
        "error [drop-cascade] DROP VIEW market_summary CASCADE also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here: drop each dependent by name first, then this without CASCADE",
      ],
      "DROP VIEW market_summary;",
    ],
    [
      "ALTER TABLE markets DROP CONSTRAINT markets_pkey CASCADE;",
      [
        "error [drop-cascade] ALTER ... DropConstraint markets_pkey CASCADE also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here: drop each dependent by name first, then this without CASCADE",
      ],
      "ALTER TABLE markets DROP CONSTRAINT markets_title_check;",
    ],
    [
      "DROP DATABASE precog_dev;",
      [
        "error [refused] DROP DATABASE in the up section: migrate refuses the file. DROP DATABASE cannot run inside a transaction block, and this section runs in one: put transaction:false on its -- migrate:up line (it then runs statement by statement, each committed on its own: make them safe to repeat with IF NOT EXISTS / IF EXISTS).",
        "error [drop-database] DROP DATABASE precog_dev destroys a whole database: drop databases outside migrations, by hand, after a backup",
      ],
      "SELECT 1;",
    ],
    [
      "DROP SEQUENCE trade_seq, public.s2;",
      [
        "error [drop-data-object] DROP SEQUENCE trade_seq, public.s2 destroys what it holds (a sequence's position, a materialized view's rows, an extension's tables): first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      ],
      "CREATE SEQUENCE trade_seq;",
    ],
    [
      "DROP MATERIALIZED VIEW daily;",
      [
        "error [drop-data-object] DROP MATERIALIZED VIEW daily destroys what it holds (a sequence's position, a materialized view's rows, an extension's tables): first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      ],
      "REFRESH MATERIALIZED VIEW daily;",
    ],
    [
      "DROP EXTENSION pg_trgm;",
      [
        "error [drop-data-object] DROP EXTENSION pg_trgm destroys what it holds (a sequence's position, a materialized view's rows, an extension's tables): first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      ],
      "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
    ],
    [
      "ALTER TYPE price DROP ATTRIBUTE currency;",
      [
        "error [drop-type-attribute] DROP ATTRIBUTE currency on type price destroys that field in every column of the type: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      ],
      "ALTER TYPE price ADD ATTRIBUTE note text;",
    ],
    [
      "ALTER SEQUENCE trade_seq RESTART WITH 1;",
      [
        "error [sequence-restart] ALTER SEQUENCE public.trade_seq RESTART can hand out ids already in use: only ever move a sequence forward, past the highest id in use (SELECT setval('public.trade_seq', max(id)) FROM ...)",
      ],
      "ALTER SEQUENCE trade_seq INCREMENT BY 2;",
    ],
    [
      "DO $$ BEGIN EXECUTE 'DROP SCHEMA public CASCADE'; END $$;",
      [
        "error [do-block] DO block: lint cannot see what its body runs; write its statements as plain SQL (or a function created and called in this file, whose body lint reads), or review it and approve it with a reason",
      ],
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    ],
  ])("%s is flagged; its safe form passes", async (bad, expected, good) => {
    expect(await findings(bad)).toEqual(expected);
    expect(await findings(good)).toEqual([]);
  });
});

describe("migrate on staging, against a real server", () => {
  let db: string;
  let dir: string;
  beforeEach(async () => {
    db = await createScratchDatabase("destr");
  });
  afterEach(async () => {
    await dropDatabase(db);
    removeDir(dir);
  });
  const run = (environment: "staging" | "dev") =>
    migrate({ connection: connectionFor(db), dir, environment, backup: false, checksumCache: false });

  it.each([
    ["DROP SCHEMA audit CASCADE;", "drop-schema"],
    ["DROP OWNED BY CURRENT_USER CASCADE;", "drop-owned"],
  ])("refuses %s unapproved and applies nothing", async (statement, rule) => {
    await withAdmin((c) => c.query("CREATE SCHEMA audit; CREATE TABLE audit.log (id int)"), db);
    dir = migrationsDir({
      "1_keep.sql": sql("CREATE TABLE keep (id int);"),
      "2_drop.sql": sql(statement),
    });
    await expect(run("staging")).rejects.toThrow(new RegExp(`lint found \\d error\\(s\\)[\\s\\S]*\\[${rule}\\]`));
    expect(await readHistory({ connection: connectionFor(db), environment: "staging" })).toEqual([]);
    expect((await withAdmin((c) => c.query("SELECT to_regclass('audit.log')::text AS t"), db)).rows[0].t).toBe(
      "audit.log",
    );
  });
});
