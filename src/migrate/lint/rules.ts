/**
 * The lint rules, over PostgreSQL's own parse tree (libpg-query). Each rule looks at one statement
 * with what the lint knows so far (state.ts: objects this file created, which nobody uses yet, so
 * locking or rewriting them is harmless; column types and constraints the earlier files built) and
 * returns a finding, or nothing. Every finding names the table and says what to do instead.
 * The rules are grouped by what they guard: data (here and destructive.ts), locks and rewrites
 * of columns (columns.ts), constraints (constraints.ts), CONCURRENTLY and renames (maintenance.ts).
 */

import { COLUMN_RULES } from "./columns";
import { CONSTRAINT_RULES } from "./constraints";
import { alterCmds, existingAltered, isNew, RETIRE, type Rule } from "./context";
import { DESTRUCTIVE_RULES } from "./destructive";
import { blocksWrites, isZeroDuration, SERVER_DEFAULT, tableLocks } from "./locks";
import { MAINTENANCE_RULES } from "./maintenance";
import { tableName } from "./state";
import { executed, type Node } from "./walk";

export type { Hit, Rule, RuleContext } from "./context";
export { tableName } from "./state";
export type { Node } from "./walk";

const dropNames = (d: Node): string[] =>
  (d.objects ?? []).map((o: Node) => (o.List?.items ?? []).map((i: Node) => i.String?.sval).join("."));
const qualify = (n: string): string => (n.includes(".") ? n : `public.${n}`);

const BATCHES =
  "change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations";

const CORE_RULES: readonly Rule[] = [
  {
    id: "drop-table",
    summary: "DROP TABLE destroys data",
    check: (s, ctx) => {
      if (s.DropStmt?.removeType !== "OBJECT_TABLE") return undefined;
      const names = dropNames(s.DropStmt).filter((n) => !ctx.newTables.has(qualify(n)));
      return names.length
        ? { message: `DROP TABLE ${names.join(", ")} destroys its data: ${RETIRE}`, table: qualify(names[0]) }
        : undefined;
    },
  },
  {
    id: "drop-column",
    summary: "ALTER TABLE ... DROP COLUMN destroys data",
    check: (s, ctx) => {
      const c = alterCmds(s).find((x) => x.subtype === "AT_DropColumn");
      const table = existingAltered(s, ctx);
      return c && table
        ? { message: `DROP COLUMN ${c.name} on ${table} destroys its data: ${RETIRE}`, table }
        : undefined;
    },
  },
  {
    id: "truncate",
    summary: "TRUNCATE destroys data",
    check: (s, ctx) => {
      const tables = (s.TruncateStmt?.relations ?? [])
        .map((r: Node) => tableName(r.RangeVar))
        .filter((t: string) => !ctx.newTables.has(t));
      return tables.length
        ? { message: `TRUNCATE ${tables.join(", ")} destroys its data: ${RETIRE}`, table: tables[0] }
        : undefined;
    },
  },
  {
    id: "delete-without-where",
    summary: "DELETE without WHERE (also in a CTE, EXPLAIN ANALYZE or MERGE ... DELETE) removes every row",
    check: (s, ctx) => {
      const d = executed(s, "DeleteStmt").find((x) => !x.whereClause && !isNew(x.relation, ctx));
      if (d) {
        const table = tableName(d.relation);
        return { message: `DELETE FROM ${table} has no WHERE: it removes every row; ${BATCHES}`, table };
      }
      const m = executed(s, "MergeStmt").find(
        (x) =>
          !isNew(x.relation, ctx) &&
          (x.mergeWhenClauses ?? []).some(
            (w: Node) => w.MergeWhenClause?.commandType === "CMD_DELETE" && !w.MergeWhenClause.condition,
          ),
      );
      if (!m) return undefined;
      const table = tableName(m.relation);
      return {
        message: `MERGE INTO ${table} ... THEN DELETE removes every row its join matches, with no further condition; ${BATCHES}`,
        table,
      };
    },
  },
  {
    id: "update-without-where",
    summary: "UPDATE without WHERE (also in a CTE or EXPLAIN ANALYZE) rewrites every row",
    check: (s, ctx) => {
      const u = executed(s, "UpdateStmt").find((x) => !x.whereClause && !isNew(x.relation, ctx));
      if (!u) return undefined;
      const table = tableName(u.relation);
      return {
        message: `UPDATE ${table} has no WHERE: it rewrites every row in one transaction, locking them all; ${BATCHES}`,
        table,
      };
    },
  },
  {
    id: "index-not-concurrent",
    summary: "CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds",
    check: (s, ctx) => {
      const i = s.IndexStmt;
      if (!i || i.concurrent || isNew(i.relation, ctx)) return undefined;
      const table = tableName(i.relation);
      return {
        message: `CREATE INDEX ${i.idxname ? `${i.idxname} ` : ""}on existing table ${table} without CONCURRENTLY blocks writes while it builds (use CREATE INDEX CONCURRENTLY in a transaction:false migration)`,
        table,
      };
    },
  },
  {
    id: "missing-lock-timeout",
    summary:
      "a statement that locks an existing table against writes runs with lock_timeout off, so it can queue behind a long query and block everyone",
    check: (s, ctx) => {
      if (!isZeroDuration(ctx.lockTimeout.value)) return undefined;
      const lock = tableLocks(s, ctx.file).find((l) => blocksWrites(l.mode));
      if (!lock) return undefined;
      const off =
        ctx.lockTimeout.value === SERVER_DEFAULT
          ? `lock_timeout back at the server's default (${ctx.lockTimeout.source}; 0, no limit, unless the server, database or role sets one)`
          : `lock_timeout = 0 (${ctx.lockTimeout.source})`;
      return {
        message: `${lock.what} takes ${lock.mode} on ${lock.table} with ${off}: waiting for its lock, it would block every query on ${lock.table} behind it (set lock_timeout:<n>s on the -- migrate:up line, and drop the statement that turns it off)`,
        table: lock.table,
      };
    },
  },
];

export const RULES: readonly Rule[] = [
  ...CORE_RULES,
  ...COLUMN_RULES,
  ...CONSTRAINT_RULES,
  ...MAINTENANCE_RULES,
  ...DESTRUCTIVE_RULES,
];
