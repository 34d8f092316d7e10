/**
 * The lint rules, over PostgreSQL's own parse tree (libpg-query). Each rule looks at one
 * statement with a little context (tables created earlier in the same file are new, so locking
 * them is harmless) and returns a message, or nothing.
 */

import { DESTRUCTIVE_RULES } from "./destructive";
import type { Node, Rule, RuleContext } from "./rule";

export function tableName(rv: Node | undefined): string {
  if (!rv) return "?";
  return `${rv.schemaname ?? "public"}.${rv.relname}`;
}

function isNew(rv: Node | undefined, ctx: RuleContext): boolean {
  return rv !== undefined && ctx.newTables.has(tableName(rv));
}

function alterCmds(stmt: Node): Node[] {
  const a = stmt.AlterTableStmt;
  if (!a || (a.objtype && a.objtype !== "OBJECT_TABLE")) return [];
  return (a.cmds ?? []).map((c: Node) => c.AlterTableCmd).filter(Boolean);
}

/** Statements that take a lock conflicting with reads or writes on an existing table. */
function locksExistingTable(stmt: Node, ctx: RuleContext): string | undefined {
  if (stmt.AlterTableStmt && !isNew(stmt.AlterTableStmt.relation, ctx))
    return `ALTER TABLE ${tableName(stmt.AlterTableStmt.relation)}`;
  if (stmt.IndexStmt && !stmt.IndexStmt.concurrent && !isNew(stmt.IndexStmt.relation, ctx))
    return `CREATE INDEX on ${tableName(stmt.IndexStmt.relation)}`;
  if (stmt.DropStmt) return `DROP ${String(stmt.DropStmt.removeType).replace("OBJECT_", "")}`;
  if (stmt.TruncateStmt) return "TRUNCATE";
  if (stmt.RenameStmt && !isNew(stmt.RenameStmt.relation, ctx))
    return `RENAME on ${tableName(stmt.RenameStmt.relation)}`;
  return undefined;
}

const dropNames = (d: Node): string =>
  (d.objects ?? []).map((o: Node) => (o.List?.items ?? []).map((i: Node) => i.String?.sval).join(".")).join(", ");

export const RULES: readonly Rule[] = [
  {
    id: "drop-table",
    summary: "DROP TABLE destroys data",
    check: (s) =>
      s.DropStmt?.removeType === "OBJECT_TABLE" ? `DROP TABLE ${dropNames(s.DropStmt)} destroys its data` : undefined,
  },
  {
    id: "drop-column",
    summary: "ALTER TABLE ... DROP COLUMN destroys data",
    check: (s, ctx) => {
      const c = alterCmds(s).find((x) => x.subtype === "AT_DropColumn");
      return c && !isNew(s.AlterTableStmt.relation, ctx)
        ? `DROP COLUMN ${c.name} on ${tableName(s.AlterTableStmt.relation)} destroys its data`
        : undefined;
    },
  },
  {
    id: "truncate",
    summary: "TRUNCATE destroys data",
    check: (s) =>
      s.TruncateStmt
        ? `TRUNCATE ${(s.TruncateStmt.relations ?? []).map((r: Node) => tableName(r.RangeVar)).join(", ")} destroys its data`
        : undefined,
  },
  {
    id: "delete-without-where",
    summary: "DELETE without WHERE removes every row",
    check: (s) =>
      s.DeleteStmt && !s.DeleteStmt.whereClause
        ? `DELETE FROM ${tableName(s.DeleteStmt.relation)} has no WHERE: it removes every row`
        : undefined,
  },
  {
    id: "update-without-where",
    summary: "UPDATE without WHERE rewrites every row",
    check: (s) =>
      s.UpdateStmt && !s.UpdateStmt.whereClause
        ? `UPDATE ${tableName(s.UpdateStmt.relation)} has no WHERE: it rewrites every row`
        : undefined,
  },
  {
    id: "column-type-change",
    summary: "ALTER COLUMN ... TYPE usually rewrites the table under an ACCESS EXCLUSIVE lock",
    check: (s, ctx) => {
      const c = alterCmds(s).find((x) => x.subtype === "AT_AlterColumnType");
      return c && !isNew(s.AlterTableStmt.relation, ctx)
        ? `changing the type of ${tableName(s.AlterTableStmt.relation)}.${c.name} can rewrite the table while blocking reads and writes`
        : undefined;
    },
  },
  {
    id: "not-null-without-default",
    summary: "a NOT NULL column added without a default (or SET NOT NULL) fails on existing rows or scans under lock",
    check: (s, ctx) => {
      if (isNew(s.AlterTableStmt?.relation, ctx)) return undefined;
      for (const c of alterCmds(s)) {
        const cons: Node[] = (c.def?.ColumnDef?.constraints ?? []).map((x: Node) => x.Constraint);
        if (
          c.subtype === "AT_AddColumn" &&
          cons.some((k) => k?.contype === "CONSTR_NOTNULL") &&
          !cons.some((k) => k?.contype === "CONSTR_DEFAULT")
        ) {
          return `column ${c.def.ColumnDef.colname} is added to ${tableName(s.AlterTableStmt.relation)} as NOT NULL without a DEFAULT: it fails if the table has rows`;
        }
        if (c.subtype === "AT_SetNotNull") {
          return `SET NOT NULL on ${tableName(s.AlterTableStmt.relation)}.${c.name} scans the whole table under an ACCESS EXCLUSIVE lock (add a CHECK (... IS NOT NULL) NOT VALID constraint and VALIDATE it first)`;
        }
      }
      return undefined;
    },
  },
  {
    id: "index-not-concurrent",
    summary: "CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds",
    check: (s, ctx) =>
      s.IndexStmt && !s.IndexStmt.concurrent && !isNew(s.IndexStmt.relation, ctx)
        ? `CREATE INDEX ${s.IndexStmt.idxname ?? ""} on existing table ${tableName(s.IndexStmt.relation)} without CONCURRENTLY blocks writes while it builds (use CREATE INDEX CONCURRENTLY in a transaction:false migration)`.replace(
            "  ",
            " ",
          )
        : undefined,
  },
  {
    id: "missing-lock-timeout",
    summary:
      "a statement that locks an existing table runs with lock_timeout off, so it can queue behind a long query and block everyone",
    check: (s, ctx) => {
      if (!isZeroDuration(ctx.lockTimeout)) return undefined;
      const what = locksExistingTable(s, ctx);
      return what
        ? `${what} runs with lock_timeout = 0: waiting for its lock, it would block every query behind it (set lock_timeout:<n>s on the -- migrate:up line)`
        : undefined;
    },
  },
  ...DESTRUCTIVE_RULES,
];

/** True for "0", "0ms", "0s" and the like: PostgreSQL's "no timeout". */
export function isZeroDuration(v: string): boolean {
  return /^0+(us|ms|s|min|h|d)?$/.test(v.trim());
}

/** The value a `SET [LOCAL] lock_timeout = ...` statement sets, if it is one. */
export function lockTimeoutSetBy(stmt: Node): string | undefined {
  const v = stmt.VariableSetStmt;
  if (v?.name !== "lock_timeout") return undefined;
  if (v.kind === "VAR_SET_DEFAULT" || v.kind === "VAR_RESET") return "default";
  const c = v.args?.[0]?.A_Const;
  if (!c) return undefined;
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.sval) return String(c.sval.sval ?? "");
  return undefined;
}
