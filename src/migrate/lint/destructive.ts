/**
 * The destructive-statement rules beyond the table-level ones in rules.ts, from a review of every
 * statement kind PostgreSQL's parser produces: what removes many objects at once (DROP SCHEMA,
 * DROP OWNED, DROP DATABASE, anything with CASCADE), objects that hold data other than tables
 * (sequences, materialized views, extensions, composite type attributes), a sequence restart that
 * hands out used ids again, and DO blocks, whose body lint cannot see. Left out on purpose: roles
 * (DROP ROLE fails while the role owns anything), views and functions without CASCADE (no data).
 */
import type { Node, Rule } from "./rule";

/** `a`, `s.t`, a type name: every object a DropStmt names, as written. */
function objectNames(d: Node): string {
  const name = (o: Node): string =>
    o.String?.sval ?? (o.List?.items ?? o.TypeName?.names ?? []).map((i: Node) => i.String?.sval).join(".") ?? "?";
  return (d.objects ?? []).map(name).join(", ");
}

const KIND = (removeType: string): string => removeType.replace("OBJECT_", "").replace("MATVIEW", "MATERIALIZED VIEW");

/** DropStmt object kinds that hold data of their own. */
const DATA_OBJECTS = ["OBJECT_SEQUENCE", "OBJECT_MATVIEW", "OBJECT_EXTENSION"];

function cascadeIn(s: Node): string | undefined {
  if (s.DropStmt?.behavior === "DROP_CASCADE")
    return `DROP ${KIND(s.DropStmt.removeType)} ${objectNames(s.DropStmt)} CASCADE`;
  if (s.DropOwnedStmt?.behavior === "DROP_CASCADE") return "DROP OWNED ... CASCADE";
  const cmd = (s.AlterTableStmt?.cmds ?? [])
    .map((c: Node) => c.AlterTableCmd)
    .find((c: Node | undefined) => c?.behavior === "DROP_CASCADE");
  return cmd ? `ALTER ... ${cmd.subtype.replace("AT_", "")} ${cmd.name ?? ""} CASCADE`.replace("  ", " ") : undefined;
}

export const DESTRUCTIVE_RULES: readonly Rule[] = [
  {
    id: "drop-schema",
    summary: "DROP SCHEMA destroys every object in the schema (with CASCADE) and their data",
    check: (s) =>
      s.DropStmt?.removeType === "OBJECT_SCHEMA"
        ? `DROP SCHEMA ${objectNames(s.DropStmt)} destroys the schema${s.DropStmt.behavior === "DROP_CASCADE" ? " and every object in it, with their data" : ""}`
        : undefined,
  },
  {
    id: "drop-cascade",
    summary: "CASCADE also drops every object that depends on the one named: views, foreign keys, columns of its type",
    check: (s) => {
      const what = cascadeIn(s);
      return what
        ? `${what} also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here`
        : undefined;
    },
  },
  {
    id: "drop-owned",
    summary: "DROP OWNED BY drops every object the role owns in the database, and their data",
    check: (s) =>
      s.DropOwnedStmt
        ? `DROP OWNED BY ${(s.DropOwnedStmt.roles ?? []).map((r: Node) => r.RoleSpec?.rolename ?? "?").join(", ")} drops every object they own in this database, with their data`
        : undefined,
  },
  {
    id: "drop-database",
    summary: "DROP DATABASE destroys a whole database",
    check: (s) => (s.DropdbStmt ? `DROP DATABASE ${s.DropdbStmt.dbname} destroys a whole database` : undefined),
  },
  {
    id: "drop-data-object",
    summary: "DROP SEQUENCE, MATERIALIZED VIEW or EXTENSION destroys the data or objects it holds",
    check: (s) =>
      DATA_OBJECTS.includes(s.DropStmt?.removeType)
        ? `DROP ${KIND(s.DropStmt.removeType)} ${objectNames(s.DropStmt)} destroys what it holds (a sequence's position, a materialized view's rows, an extension's tables)`
        : undefined,
  },
  {
    id: "drop-type-attribute",
    summary: "ALTER TYPE ... DROP ATTRIBUTE destroys that field in every column of the type",
    check: (s) => {
      const a = s.AlterTableStmt;
      const cmd =
        a?.objtype === "OBJECT_TYPE" && (a.cmds ?? []).find((c: Node) => c.AlterTableCmd?.subtype === "AT_DropColumn");
      return cmd
        ? `DROP ATTRIBUTE ${cmd.AlterTableCmd.name} on type ${a.relation?.relname} destroys that field in every column of the type`
        : undefined;
    },
  },
  {
    id: "sequence-restart",
    summary: "ALTER SEQUENCE ... RESTART can hand out ids already in use",
    check: (s) =>
      (s.AlterSeqStmt?.options ?? []).some((o: Node) => o.DefElem?.defname === "restart")
        ? `ALTER SEQUENCE ${s.AlterSeqStmt.sequence?.relname} RESTART can hand out ids already in use`
        : undefined,
  },
  {
    id: "do-block",
    summary: "a DO block's body is not linted: what it runs is unchecked",
    check: (s) =>
      s.DoStmt ? "DO block: lint cannot see what its body runs; review it and approve it with a reason" : undefined,
  },
];
