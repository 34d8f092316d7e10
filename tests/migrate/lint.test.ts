/**
 * The linter on PostgreSQL's own parser: each rule with a failing and a passing case (exact
 * message), severity by environment, approvals, syntax errors, and the repository's own
 * migrations linting clean for prod.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lint } from "../../src/migrate";
import { type MigrationRef, parseMigration } from "../../src/migrate/files";
import { lintFiles, RULES } from "../../src/migrate/lint";
import { REPO } from "./helpers";

const ref: MigrationRef = { version: "0002", order: 2n, name: "x", filename: "0002_x.sql", path: "/m/0002_x.sql" };
const file = (up: string, opts = "", header = "") =>
  parseMigration(ref, `${header}-- migrate:up${opts ? ` ${opts}` : ""}\n${up}\n-- migrate:down\n`);
const findings = async (up: string, opts = "", environment: "dev" | "prod" = "prod", header = "") =>
  (await lintFiles([file(up, opts, header)], { environment })).findings.map(
    (f) => `${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.message}`,
  );

describe("lint rules", () => {
  it.each([
    [
      "drop-table",
      "DROP TABLE markets, audit.old_log;",
      "2:1 error [drop-table] DROP TABLE markets, audit.old_log destroys its data",
      "DROP VIEW market_summary;",
    ],
    [
      "drop-column",
      "ALTER TABLE markets DROP COLUMN category;",
      "2:1 error [drop-column] DROP COLUMN category on public.markets destroys its data",
      "ALTER TABLE markets ADD COLUMN category text;",
    ],
    [
      "truncate",
      "TRUNCATE market_history;",
      "2:1 error [truncate] TRUNCATE public.market_history destroys its data",
      "SELECT count(*) FROM market_history;",
    ],
    [
      "delete-without-where",
      "DELETE FROM trades;",
      "2:1 error [delete-without-where] DELETE FROM public.trades has no WHERE: it removes every row",
      "DELETE FROM trades WHERE id = 1;",
    ],
    [
      "update-without-where",
      "UPDATE markets SET status = 'closed';",
      "2:1 error [update-without-where] UPDATE public.markets has no WHERE: it rewrites every row",
      "UPDATE markets SET status = 'closed' WHERE close_time < now();",
    ],
    [
      "column-type-change",
      "ALTER TABLE trades ALTER COLUMN quantity TYPE numeric(30, 4);",
      "2:1 error [column-type-change] changing the type of public.trades.quantity can rewrite the table while blocking reads and writes",
      "CREATE TABLE t (q int);\nALTER TABLE t ALTER COLUMN q TYPE bigint;",
    ],
    [
      "not-null-without-default",
      "ALTER TABLE markets ADD COLUMN tick_size numeric NOT NULL;",
      "2:1 error [not-null-without-default] column tick_size is added to public.markets as NOT NULL without a DEFAULT: it fails if the table has rows",
      "ALTER TABLE markets ADD COLUMN tick_size numeric NOT NULL DEFAULT 0.01;",
    ],
    [
      "not-null-without-default",
      "ALTER TABLE markets ALTER COLUMN category SET NOT NULL;",
      "2:1 error [not-null-without-default] SET NOT NULL on public.markets.category scans the whole table under an ACCESS EXCLUSIVE lock (add a CHECK (... IS NOT NULL) NOT VALID constraint and VALIDATE it first)",
      "ALTER TABLE markets ALTER COLUMN category DROP NOT NULL;",
    ],
    [
      "index-not-concurrent",
      "\n  CREATE INDEX trades_fee_idx ON trades (fee);",
      "3:3 error [index-not-concurrent] CREATE INDEX trades_fee_idx on existing table public.trades without CONCURRENTLY blocks writes while it builds (use CREATE INDEX CONCURRENTLY in a transaction:false migration)",
      "CREATE TABLE fresh (v int);\nCREATE INDEX fresh_v_idx ON fresh (v);",
    ],
  ])("%s: %j fails, its safe form passes", async (_rule, bad, message, good) => {
    expect(await findings(bad)).toEqual([message]);
    expect(await findings(good)).toEqual([]);
  });

  it("missing-lock-timeout: lock-taking statements with lock_timeout off fail; with one set they pass", async () => {
    const bad = "ALTER TABLE markets ADD COLUMN note text;";
    const msg =
      "2:1 error [missing-lock-timeout] ALTER TABLE public.markets runs with lock_timeout = 0: waiting for its lock, it would block every query behind it (set lock_timeout:<n>s on the -- migrate:up line)";
    expect(await findings(bad, "lock_timeout:0")).toEqual([msg]);
    expect(await findings(`SET lock_timeout = 0;\n${bad}`)).toEqual([msg.replace("2:1", "3:1")]);
    expect(await findings(bad)).toEqual([]);
    expect(await findings(`SET lock_timeout = 0;\nSET lock_timeout = '3s';\n${bad}`)).toEqual([]);
    expect(await findings("SELECT 1;", "lock_timeout:0")).toEqual([]);
  });

  it("every rule has a case above", () => {
    expect(RULES.map((r) => r.id)).toEqual([
      "drop-table",
      "drop-column",
      "truncate",
      "delete-without-where",
      "update-without-where",
      "column-type-change",
      "not-null-without-default",
      "index-not-concurrent",
      "missing-lock-timeout",
      // tests/migrate/destructive.test.ts has their cases.
      "drop-schema",
      "drop-cascade",
      "drop-owned",
      "drop-database",
      "drop-data-object",
      "drop-type-attribute",
      "sequence-restart",
      "do-block",
    ]);
  });
});

describe("severity and approvals", () => {
  it("findings are warnings on dev and test, errors on staging and prod", async () => {
    expect(await findings("TRUNCATE trades;", "", "dev")).toEqual([
      "2:1 warning [truncate] TRUNCATE public.trades destroys its data",
    ]);
    for (const environment of ["test", "staging"] as const) {
      const r = await lintFiles([file("TRUNCATE trades;")], { environment });
      expect([r.findings[0].severity, r.failed]).toEqual(environment === "test" ? ["warning", false] : ["error", true]);
    }
  });

  it("an approval line with a reason turns a prod error into an approved finding", async () => {
    const r = await lintFiles(
      [
        file(
          "ALTER TABLE markets DROP COLUMN category;",
          "",
          "-- lint:approve drop-column: category moved to metadata in 0007, no readers left\n",
        ),
      ],
      { environment: "prod" },
    );
    expect(r.failed).toBe(false);
    expect(r.findings).toEqual([
      {
        rule: "drop-column",
        severity: "approved",
        filename: "0002_x.sql",
        line: 3,
        column: 1,
        message: "DROP COLUMN category on public.markets destroys its data",
        statement: "ALTER TABLE markets DROP COLUMN category",
        reason: "category moved to metadata in 0007, no readers left",
      },
    ]);
  });

  it("an approval naming an unknown rule is an error", async () => {
    expect(await findings("SELECT 1;", "", "dev", "-- lint:approve drop-everything: because\n")).toEqual([
      '1:1 error [unknown-approval] approval names unknown rule "drop-everything" (known: drop-table, drop-column, truncate, delete-without-where, update-without-where, column-type-change, not-null-without-default, index-not-concurrent, missing-lock-timeout, drop-schema, drop-cascade, drop-owned, drop-database, drop-data-object, drop-type-attribute, sequence-restart, do-block)',
    ]);
  });

  it("SQL the parser rejects is an error in every environment, at its position", async () => {
    expect(await findings("CREATE TABLE t (id int);\nSELEC 1;", "", "dev")).toEqual([
      '3:1 error [syntax] syntax error at or near "SELEC"',
    ]);
  });
});

describe("the repository's migrations", () => {
  it("lint clean for prod", async () => {
    const r = await lint(join(REPO, "migrations"), { environment: "prod" });
    expect(r.findings).toEqual([]);
  });
});
