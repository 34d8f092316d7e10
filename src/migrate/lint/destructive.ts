/**
 * The destructive-statement rules beyond the table-level ones in rules.ts, from a review of every
 * statement kind PostgreSQL's parser produces: what removes many objects at once (DROP SCHEMA,
 * DROP OWNED, DROP DATABASE, anything with CASCADE), objects that hold data other than tables
 * (sequences, materialized views, extensions, composite type attributes), a sequence restart that
 * hands out used ids again (ALTER SEQUENCE ... RESTART, setval() on a sequence this file did not
 * create), and DO blocks, whose body lint cannot see. Left out on purpose: roles (DROP ROLE fails
 * while the role owns anything), views and functions without CASCADE (no data).
 */
import { type Hit, RETIRE, type Rule, type RuleContext } from "./context";
import { tableName } from "./state";
import { executed, funcName, type Node, stringConst } from "./walk";

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

const hit = (message: string, table: string): Hit => ({ message, table });

/** The table a CASCADE statement names first. */
function cascadeTable(s: Node): string {
  if (s.AlterTableStmt) return tableName(s.AlterTableStmt.relation);
  if (s.DropStmt) return objectNames(s.DropStmt).split(", ")[0];
  return "every object the role owns";
}

/** The sequence `setval()` names, when it is a constant: `'s'`, `'s'::regclass`, or `pg_get_serial_sequence('t', 'c')`. */
function setvalTarget(args: Node[]): { sequence: string; table?: string } | undefined {
  const name = stringConst(args[0]);
  if (name !== undefined) return { sequence: name.includes(".") ? name : `public.${name}` };
  const inner = args[0]?.FuncCall;
  if (inner && funcName(inner) === "pg_get_serial_sequence") {
    const t = stringConst(inner.args?.[0]);
    if (t !== undefined) {
      const table = t.includes(".") ? t : `public.${t}`;
      return { sequence: `the sequence of ${table}.${stringConst(inner.args?.[1]) ?? "?"}`, table };
    }
  }
  return undefined;
}

function sequenceMove(s: Node, ctx: RuleContext): Hit | undefined {
  if ((s.AlterSeqStmt?.options ?? []).some((o: Node) => o.DefElem?.defname === "restart")) {
    const seq = tableName(s.AlterSeqStmt.sequence);
    if (ctx.file.newSequences.has(seq)) return undefined;
    return hit(
      `ALTER SEQUENCE ${seq} RESTART can hand out ids already in use: only ever move a sequence forward, past the highest id in use (SELECT setval('${seq}', max(id)) FROM ...)`,
      seq,
    );
  }
  for (const call of executed(s, "FuncCall")) {
    if (funcName(call) !== "setval") continue;
    const target = setvalTarget(call.args ?? []);
    if (target && (ctx.file.newSequences.has(target.sequence) || (target.table && ctx.newTables.has(target.table))))
      continue;
    const seq = target?.sequence ?? "a sequence lint cannot name";
    return hit(
      `setval() on ${seq}, which this file did not create, moves its position: set below the highest id in use, it hands out ids already taken; set it from the data, never below it (setval(seq, greatest(max(id), currval)))`,
      target?.table ?? seq,
    );
  }
  return undefined;
}

export const DESTRUCTIVE_RULES: readonly Rule[] = [
  {
    id: "drop-schema",
    summary: "DROP SCHEMA destroys every object in the schema (with CASCADE) and their data",
    check: (s) =>
      s.DropStmt?.removeType === "OBJECT_SCHEMA"
        ? hit(
            `DROP SCHEMA ${objectNames(s.DropStmt)} destroys the schema${s.DropStmt.behavior === "DROP_CASCADE" ? " and every object in it, with their data" : ""}: ${RETIRE}`,
            `every table in schema ${objectNames(s.DropStmt)}`,
          )
        : undefined,
  },
  {
    id: "drop-cascade",
    summary: "CASCADE also drops every object that depends on the one named: views, foreign keys, columns of its type",
    check: (s) => {
      const what = cascadeIn(s);
      return what
        ? hit(
            `${what} also drops every object that depends on it (views, foreign keys, columns and tables of its type), unnamed here: drop each dependent by name first, then this without CASCADE`,
            cascadeTable(s),
          )
        : undefined;
    },
  },
  {
    id: "drop-owned",
    summary: "DROP OWNED BY drops every object the role owns in the database, and their data",
    check: (s) =>
      s.DropOwnedStmt
        ? hit(
            `DROP OWNED BY ${(s.DropOwnedStmt.roles ?? []).map((r: Node) => r.RoleSpec?.rolename ?? "?").join(", ")} drops every object they own in this database, with their data: REASSIGN OWNED BY ... TO another role first, then DROP OWNED drops only their privileges`,
            "every table the role owns",
          )
        : undefined,
  },
  {
    id: "drop-database",
    summary: "DROP DATABASE destroys a whole database",
    check: (s) =>
      s.DropdbStmt
        ? hit(
            `DROP DATABASE ${s.DropdbStmt.dbname} destroys a whole database: drop databases outside migrations, by hand, after a backup`,
            `every table of database ${s.DropdbStmt.dbname}`,
          )
        : undefined,
  },
  {
    id: "drop-data-object",
    summary: "DROP SEQUENCE, MATERIALIZED VIEW or EXTENSION destroys the data or objects it holds",
    check: (s) =>
      DATA_OBJECTS.includes(s.DropStmt?.removeType)
        ? hit(
            `DROP ${KIND(s.DropStmt.removeType)} ${objectNames(s.DropStmt)} destroys what it holds (a sequence's position, a materialized view's rows, an extension's tables): ${RETIRE}`,
            objectNames(s.DropStmt),
          )
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
        ? hit(
            `DROP ATTRIBUTE ${cmd.AlterTableCmd.name} on type ${a.relation?.relname} destroys that field in every column of the type: ${RETIRE}`,
            `the tables using type ${a.relation?.relname}`,
          )
        : undefined;
    },
  },
  {
    id: "sequence-restart",
    summary: "ALTER SEQUENCE ... RESTART or setval() on an existing sequence can hand out ids already in use",
    check: sequenceMove,
  },
  {
    id: "do-block",
    summary: "a DO block's body is not linted: what it runs is unchecked",
    check: (s) =>
      s.DoStmt
        ? hit(
            "DO block: lint cannot see what its body runs; write its statements as plain SQL (or a function created and called in this file, whose body lint reads), or review it and approve it with a reason",
            "unknown (the block's body)",
          )
        : undefined,
  },
];
