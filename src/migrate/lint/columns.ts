/**
 * Rules for columns of existing tables, from ALTER TABLE's documentation: what rewrites the table
 * (a type change PostgreSQL cannot do in place; a new column whose value differs per row: a
 * volatile default, a stored generated column, serial or identity), what scans it under ACCESS
 * EXCLUSIVE (SET NOT NULL without a validated CHECK that proves it), what fails on existing rows
 * (NOT NULL without a default), and `json` where `jsonb` is meant (advisory).
 */
import { alterCmds, existingAltered, type Hit, type Rule, type RuleContext } from "./context";
import { type ColumnType, columnType, showType, tableName } from "./state";
import { executed, funcName, type Node } from "./walk";

const SERIAL = new Set(["serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"]);

/**
 * Built-in functions that are not VOLATILE (pg_proc.provolatile 'i' or 's'): a default made of
 * these and constants is evaluated once when the column is added, and stored without a rewrite.
 * Any other function (a user's is VOLATILE unless declared otherwise) is taken as volatile.
 */
const NOT_VOLATILE = new Set([
  "now",
  "transaction_timestamp",
  "statement_timestamp",
  "current_setting",
  "lower",
  "upper",
  "btrim",
  "ltrim",
  "rtrim",
  "concat",
  "concat_ws",
  "length",
  "substr",
  "replace",
  "md5",
  "abs",
  "round",
  "floor",
  "ceil",
  "to_char",
  "to_date",
  "to_timestamp",
  "to_number",
  "date_trunc",
  "date_part",
  "make_date",
  "make_time",
  "make_timestamp",
  "make_timestamptz",
  "make_interval",
  "to_json",
  "to_jsonb",
  "json_build_object",
  "json_build_array",
  "jsonb_build_object",
  "jsonb_build_array",
  "array_fill",
]);

/** The first function in `expr` that may be volatile, by name. */
function volatileCall(expr: Node | undefined): string | undefined {
  if (!expr) return undefined;
  const call = executed({ expr }, "FuncCall").find((c) => !NOT_VOLATILE.has(funcName(c)));
  return call ? `${funcName(call)}()` : undefined;
}

const constraintsOf = (def: Node | undefined): Node[] =>
  (def?.ColumnDef?.constraints ?? []).map((x: Node) => x.Constraint).filter(Boolean);

/** Why adding this column rewrites the table, or undefined. */
function rewriteOnAdd(def: Node): { why: string; instead: string } | undefined {
  const col = def.ColumnDef;
  const cons = constraintsOf(def);
  const type = columnType(col.typeName);
  if (type && SERIAL.has(type.name))
    return {
      why: `as ${type.name}, which fills every existing row from a sequence`,
      instead: `add a nullable ${type.name === "bigserial" || type.name === "serial8" ? "bigint" : "integer"} column, CREATE SEQUENCE, SET DEFAULT nextval(...) for new rows, backfill the old ones in batches, then add NOT NULL through a validated CHECK`,
    };
  if (cons.some((c) => c.contype === "CONSTR_IDENTITY"))
    return {
      why: "as an identity column, which fills every existing row from its sequence",
      instead:
        "add a nullable column with a sequence default for new rows, backfill the old ones in batches, then add NOT NULL through a validated CHECK (or build the table anew and swap)",
    };
  const generated = cons.find((c) => c.contype === "CONSTR_GENERATED");
  if (generated && generated.generated_kind !== "v")
    return {
      why: "as a stored generated column, which computes and writes it for every existing row",
      instead:
        "add a plain nullable column kept up to date by a trigger, backfill the old rows in batches, then switch readers to it",
    };
  const fn = volatileCall(cons.find((c) => c.contype === "CONSTR_DEFAULT")?.raw_expr);
  if (fn)
    return {
      why: `with the volatile default ${fn}, evaluated for each existing row`,
      instead: `add it without a default, then ALTER COLUMN ... SET DEFAULT ${fn} (new rows only) and backfill the old rows in batches; if ${fn} is IMMUTABLE or STABLE, approve with that reason`,
    };
  return undefined;
}

/**
 * Whether PostgreSQL changes `from` to `to` without a rewrite: tablecmds.c's
 * ATColumnChangeRequiresRewrite skips it only when the planned conversion is the column itself
 * under binary-coercible relabels (varchar to text, a longer varchar, more numeric precision at the
 * same scale, cidr to inet). Arrays convert element by element (an ArrayCoerceExpr, never a
 * relabel), so an array column is rewritten unless its type stays exactly the same: text[] to
 * varchar[] rewrites, as varchar(10)[] to varchar(20)[] does.
 */
function rewriteFree(from: ColumnType, to: ColumnType): boolean {
  const same = from.name === to.name && from.mods.join() === to.mods.join();
  if (from.array || to.array) return from.array === to.array && same;
  if (same) return true;
  const text = (t: ColumnType) => t.name === "text" || t.name === "varchar";
  if (to.name === "text" || (to.name === "varchar" && to.mods.length === 0)) return text(from);
  if (to.name === "varchar" || to.name === "varbit")
    return from.name === to.name && from.mods.length === 1 && from.mods[0] <= to.mods[0];
  if (to.name === "numeric") {
    if (from.name !== "numeric" || from.mods.length === 0) return false;
    if (to.mods.length === 0) return true;
    return (from.mods[1] ?? 0) === (to.mods[1] ?? 0) && from.mods[0] <= to.mods[0];
  }
  return from.name === "cidr" && to.name === "inet";
}

/** Whether each step of `types` (old type, the USING's casts, the new type) converts in place. */
function rewriteFreeChain(types: readonly ColumnType[]): boolean {
  return types.every((t, i) => i === 0 || rewriteFree(types[i - 1], t));
}

/**
 * Whether some other type becomes `to` without a rewrite (rewriteFree's cases): only then can a type
 * change whose old type the lint cannot see be safe. A change to any other type (bigint, a user's
 * enum, timestamptz, any array, ...) rewrites the table whatever the column was, short of being
 * that type already.
 */
function reachableInPlace(to: ColumnType): boolean {
  return !to.array && ["text", "varchar", "varbit", "numeric", "inet"].includes(to.name);
}

/**
 * The types a USING casts the column through, innermost first: [] when there is no USING or it is
 * the bare column (`c`, `t.c`), `[varchar(10)]` for `c::varchar(10)` or `CAST(c AS varchar(10))`;
 * undefined when it computes anything else (a function, an operator, another column, a constant),
 * which PostgreSQL always writes out row by row.
 */
function usingCasts(using: Node | undefined, column: string): ColumnType[] | undefined {
  const casts: ColumnType[] = [];
  let n = using;
  if (!n) return casts;
  while (n?.TypeCast) {
    const t = columnType(n.TypeCast.typeName);
    if (!t) return undefined;
    casts.unshift(t);
    n = n.TypeCast.arg;
  }
  const fields = n?.ColumnRef?.fields;
  const plain = fields && fields.length <= 2 && fields[fields.length - 1].String?.sval === column;
  return plain ? casts : undefined;
}

const REBUILD =
  "add a new column of the new type, keep both written, backfill it in batches, move the code to it, then drop the old one";

function typeChange(s: Node, ctx: RuleContext): Hit | undefined {
  const table = existingAltered(s, ctx);
  if (!table) return undefined;
  for (const c of alterCmds(s).filter((x) => x.subtype === "AT_AlterColumnType")) {
    const to = columnType(c.def?.ColumnDef?.typeName);
    const from = ctx.history.typeOf(table, c.name);
    if (!to) continue;
    const collation = Boolean(c.def?.ColumnDef?.collClause);
    const casts = collation ? undefined : usingCasts(c.def?.ColumnDef?.raw_default, c.name);
    // With the old type unknown, the first type the USING reaches stands for it (the new type without casts).
    const reached = casts?.[0] ?? to;
    const plain = casts !== undefined && rewriteFreeChain([...casts, to]);
    if (from && plain && rewriteFreeChain([from, ...(casts ?? []), to])) continue;
    const rewrites =
      "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends";
    if (from)
      return {
        message: `changing ${table}.${c.name} from ${showType(from)} to ${showType(to)} ${rewrites}: ${REBUILD}`,
        table,
      };
    if (collation)
      return {
        message: `changing the type of ${table}.${c.name} with a new collation rebuilds the column's indexes (and rewrites the table unless the old type converts in place) under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends: ${REBUILD}`,
        table,
      };
    const why = !plain
      ? "with a USING expression that computes a new value"
      : !reachableInPlace(reached)
        ? `to ${showType(reached)}, which no other type becomes in place,`
        : undefined;
    if (why) return { message: `changing the type of ${table}.${c.name} ${why} ${rewrites}: ${REBUILD}`, table };
    // Safe or not depends on the old type, which no file linted here shows: say so, as a note.
    return {
      message: `changing the type of ${table}.${c.name} to ${showType(to)}: the check could not see its old type (no file linted here creates that column), so it cannot tell whether PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock. Only varchar to text, a longer varchar, more numeric precision at the same scale and cidr to inet skip the rewrite; from any other type, ${REBUILD}`,
      table,
      note: true,
    };
  }
  return undefined;
}

/**
 * Whether a validated CHECK known to the lint proves `column` NOT NULL, so SET NOT NULL skips its
 * scan. A constraint validated in these files whose definition they never showed (it was added in
 * a history the lint does not see) counts when its name is made after the column.
 */
function provenNotNull(table: string, column: string, ctx: RuleContext): boolean {
  for (const [key, check] of ctx.history.checks) {
    const [t, name] = key.split(" ");
    if (t !== table || !check.valid) continue;
    if (check.known ? check.notNullColumn === column : namedAfter(name, column)) return true;
  }
  return false;
}

/** Whether a constraint's name holds the column's name as whole `_`-separated words (`t_user_id_not_null`, `user_id`). */
function namedAfter(constraint: string, column: string): boolean {
  return `_${constraint.toLowerCase()}_`.includes(`_${column.toLowerCase()}_`);
}

function notNull(s: Node, ctx: RuleContext): Hit | undefined {
  const table = existingAltered(s, ctx);
  if (!table) return undefined;
  for (const c of alterCmds(s)) {
    const cons = constraintsOf(c.def);
    const type = columnType(c.def?.ColumnDef?.typeName);
    const filled =
      (type && SERIAL.has(type.name)) ||
      cons.some((k) => ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].includes(k.contype));
    if (c.subtype === "AT_AddColumn" && cons.some((k) => k.contype === "CONSTR_NOTNULL") && !filled) {
      return {
        message: `column ${c.def.ColumnDef.colname} is added to ${table} as NOT NULL without a DEFAULT: it fails if the table has rows; give it a constant DEFAULT (stored without a rewrite), or add it nullable, backfill it in batches and add NOT NULL through a validated CHECK`,
        table,
      };
    }
    if (c.subtype === "AT_SetNotNull" && !provenNotNull(table, c.name, ctx)) {
      return {
        message: `SET NOT NULL on ${table}.${c.name} scans the whole table under an ACCESS EXCLUSIVE lock (add a CHECK (${c.name} IS NOT NULL) NOT VALID constraint and VALIDATE it in a later migration first: SET NOT NULL then skips the scan)`,
        table,
      };
    }
  }
  return undefined;
}

/** Every `json` column a statement declares: in CREATE TABLE, ADD COLUMN or a type change. */
function jsonColumns(s: Node): { table: string; column: string }[] {
  const found: { table: string; column: string }[] = [];
  const isJson = (t: Node | undefined) => columnType(t)?.name === "json";
  if (s.CreateStmt)
    for (const e of s.CreateStmt.tableElts ?? [])
      if (isJson(e.ColumnDef?.typeName))
        found.push({ table: tableName(s.CreateStmt.relation), column: e.ColumnDef.colname });
  for (const c of alterCmds(s)) {
    const table = tableName(s.AlterTableStmt.relation);
    if (c.subtype === "AT_AddColumn" && isJson(c.def?.ColumnDef?.typeName))
      found.push({ table, column: c.def.ColumnDef.colname });
    if (c.subtype === "AT_AlterColumnType" && isJson(c.def?.ColumnDef?.typeName)) found.push({ table, column: c.name });
  }
  return found;
}

export const COLUMN_RULES: readonly Rule[] = [
  {
    id: "column-type-change",
    summary:
      "ALTER COLUMN ... TYPE rewrites the table under an ACCESS EXCLUSIVE lock unless PostgreSQL can skip it (varchar to text, a longer varchar, more numeric precision)",
    check: typeChange,
  },
  {
    id: "not-null-without-default",
    summary:
      "a NOT NULL column added without a default fails on existing rows; SET NOT NULL without a validated CHECK scans under lock",
    check: notNull,
  },
  {
    id: "add-column-rewrite",
    summary:
      "a column added to an existing table with a volatile default, stored generated, serial or identity rewrites every row under an ACCESS EXCLUSIVE lock",
    check: (s, ctx) => {
      const table = existingAltered(s, ctx);
      if (!table) return undefined;
      for (const c of alterCmds(s).filter((x) => x.subtype === "AT_AddColumn")) {
        const r = rewriteOnAdd(c.def);
        if (r)
          return {
            message: `column ${c.def.ColumnDef.colname} is added to ${table} ${r.why}: the table is rewritten under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends; instead ${r.instead}`,
            table,
          };
      }
      return undefined;
    },
  },
  {
    id: "prefer-jsonb",
    summary: "a json column where jsonb is meant (advisory)",
    advisory: true,
    check: (s) => {
      const j = jsonColumns(s)[0];
      return j
        ? {
            message: `column ${j.column} of ${j.table} is json: it stores the text as written and has no equality operator (no DISTINCT, GROUP BY or unique index on it); use jsonb unless the exact text must be kept`,
            table: j.table,
          }
        : undefined;
    },
  },
];
