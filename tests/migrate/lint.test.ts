/**
 * The linter on PostgreSQL's own parser: each rule with a failing and a passing case (exact
 * message and table), severity by environment, approvals, syntax errors, and the repository's own
 * migrations linting clean for prod. The lock, column, constraint and maintenance rules have
 * their own files (tests/migrate/lint-*.test.ts), one case per statement form they cover.
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
    (f) => `${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.table ? `${f.table}: ` : ""}${f.message}`,
  );

describe("lint rules", () => {
  it.each([
    [
      "drop-table",
      "DROP TABLE markets, audit.old_log;",
      "2:1 error [drop-table] public.markets: DROP TABLE markets, audit.old_log destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      "CREATE TABLE scratch (id int);\nDROP TABLE scratch;",
    ],
    [
      "drop-column",
      "ALTER TABLE markets DROP COLUMN category;",
      "2:1 error [drop-column] public.markets: DROP COLUMN category on public.markets destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      "ALTER TABLE markets ADD COLUMN category text;",
    ],
    [
      "truncate",
      "TRUNCATE market_history;",
      "2:1 error [truncate] public.market_history: TRUNCATE public.market_history destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
      "SELECT count(*) FROM market_history;",
    ],
    [
      "delete-without-where",
      "DELETE FROM trades;",
      "2:1 error [delete-without-where] public.trades: DELETE FROM public.trades has no WHERE: it removes every row; change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations",
      "DELETE FROM trades WHERE id = 1;",
    ],
    [
      "update-without-where",
      "UPDATE markets SET status = 'closed';",
      "2:1 error [update-without-where] public.markets: UPDATE public.markets has no WHERE: it rewrites every row in one transaction, locking them all; change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations",
      "UPDATE markets SET status = 'closed' WHERE close_time < now();",
    ],
    [
      "column-type-change",
      "ALTER TABLE trades ALTER COLUMN quantity TYPE bigint;",
      "2:1 error [column-type-change] public.trades: changing the type of public.trades.quantity to int8, which no other type becomes in place, rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends: add a new column of the new type, keep both written, backfill it in batches, move the code to it, then drop the old one",
      "CREATE TABLE t (q int);\nALTER TABLE t ALTER COLUMN q TYPE bigint;",
    ],
    [
      "not-null-without-default",
      "ALTER TABLE markets ADD COLUMN tick_size numeric NOT NULL;",
      "2:1 error [not-null-without-default] public.markets: column tick_size is added to public.markets as NOT NULL without a DEFAULT: it fails if the table has rows; give it a constant DEFAULT (stored without a rewrite), or add it nullable, backfill it in batches and add NOT NULL through a validated CHECK",
      "ALTER TABLE markets ADD COLUMN tick_size numeric NOT NULL DEFAULT 0.01;",
    ],
    [
      "not-null-without-default",
      "ALTER TABLE markets ALTER COLUMN category SET NOT NULL;",
      "2:1 error [not-null-without-default] public.markets: SET NOT NULL on public.markets.category scans the whole table under an ACCESS EXCLUSIVE lock (add a CHECK (category IS NOT NULL) NOT VALID constraint and VALIDATE it in a later migration first: SET NOT NULL then skips the scan)",
      "ALTER TABLE markets ALTER COLUMN category DROP NOT NULL;",
    ],
    [
      "index-not-concurrent",
      "\n  CREATE INDEX trades_fee_idx ON trades (fee);",
      "3:3 error [index-not-concurrent] public.trades: CREATE INDEX trades_fee_idx on existing table public.trades without CONCURRENTLY blocks writes while it builds (use CREATE INDEX CONCURRENTLY in a transaction:false migration)",
      "CREATE TABLE fresh (v int);\nCREATE INDEX fresh_v_idx ON fresh (v);",
    ],
  ])("%s: %j fails, its safe form passes", async (_rule, bad, message, good) => {
    expect(await findings(bad)).toEqual([message]);
    expect(await findings(good)).toEqual([]);
  });

  it("every rule has a case above", () => {
    expect(RULES.map((r) => r.id)).toEqual([
      "drop-table",
      "drop-column",
      "truncate",
      "delete-without-where",
      "update-without-where",
      "index-not-concurrent",
      // tests/migrate/lint-locks.test.ts
      "missing-lock-timeout",
      // tests/migrate/lint-columns.test.ts (and the two cases above)
      "column-type-change",
      "not-null-without-default",
      "add-column-rewrite",
      "prefer-jsonb",
      // tests/migrate/lint-constraints.test.ts
      "foreign-key-not-valid",
      "check-not-valid",
      "validate-in-same-transaction",
      "unique-without-index",
      "exclusion-constraint",
      // tests/migrate/lint-maintenance.test.ts
      "drop-index-not-concurrent",
      "reindex-not-concurrent",
      "detach-partition-not-concurrent",
      "vacuum-full-or-cluster",
      "rename",
      // tests/migrate/destructive.test.ts (and lint-maintenance.test.ts: one level down)
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
      "2:1 warning [truncate] public.trades: TRUNCATE public.trades destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
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
        message:
          "DROP COLUMN category on public.markets destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)",
        statement: "ALTER TABLE markets DROP COLUMN category",
        table: "public.markets",
        reason: "category moved to metadata in 0007, no readers left",
      },
    ]);
  });

  it("an approval naming an unknown rule is an error", async () => {
    expect(await findings("SELECT 1;", "", "dev", "-- lint:approve drop-everything: because\n")).toEqual([
      '1:1 error [unknown-approval] approval names unknown rule "drop-everything" (known: drop-table, drop-column, truncate, delete-without-where, update-without-where, index-not-concurrent, missing-lock-timeout, column-type-change, not-null-without-default, add-column-rewrite, prefer-jsonb, foreign-key-not-valid, check-not-valid, validate-in-same-transaction, unique-without-index, exclusion-constraint, drop-index-not-concurrent, reindex-not-concurrent, detach-partition-not-concurrent, vacuum-full-or-cluster, rename, drop-schema, drop-cascade, drop-owned, drop-database, drop-data-object, drop-type-attribute, sequence-restart, do-block)',
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
