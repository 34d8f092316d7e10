/**
 * Walking libpg-query's parse tree below the top-level statement: what a statement executes
 * (data-modifying CTEs, the statement under EXPLAIN ANALYZE, MERGE actions, function calls), but
 * not what it only defines (a function's or rule's body, a view's query), which runs later or never.
 */

/** A parse-tree node: libpg-query's JSON, one key naming the node type. */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON the rules walk by key, every step guarded with `?.`
export type Node = Record<string, any>;

/** Node kinds whose children are definitions, not executed by the statement itself. */
const DEFINES = new Set(["CreateFunctionStmt", "RuleStmt", "ViewStmt", "CreateTrigStmt", "DoStmt"]);

/** Calls `visit(kind, node)` for every node the statement executes, depth first, itself included. */
export function walkExecuted(stmt: Node, visit: (kind: string, node: Node) => void): void {
  const step = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) step(v);
      return;
    }
    if (value === null || typeof value !== "object") return;
    for (const [key, child] of Object.entries(value as Node)) {
      if (/^[A-Z]/.test(key) && child && typeof child === "object" && !Array.isArray(child)) {
        if (DEFINES.has(key)) continue;
        // EXPLAIN without ANALYZE only plans its statement.
        if (key === "ExplainStmt" && !hasOption(child.options, "analyze")) continue;
        visit(key, child);
      }
      step(child);
    }
  };
  step(stmt);
}

/** Every executed node of one kind. */
export function executed(stmt: Node, kind: string): Node[] {
  const found: Node[] = [];
  walkExecuted(stmt, (k, n) => {
    if (k === kind) found.push(n);
  });
  return found;
}

/** Whether a DefElem list (EXPLAIN's, VACUUM's, REINDEX's options) holds `name`, not switched off. */
export function hasOption(options: Node[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => {
    const d = o.DefElem;
    if (d?.defname !== name) return false;
    const v = d.arg?.String?.sval ?? d.arg?.Boolean?.boolval ?? d.arg?.A_Const?.boolval?.boolval;
    return v === undefined || v === true || v === "true" || v === "on";
  });
}

/** A function call's name as written, lower case, schema dropped: `pg_catalog.setval` is "setval". */
export function funcName(call: Node): string {
  const parts = (call.funcname ?? []).map((n: Node) => String(n.String?.sval ?? ""));
  return (parts[parts.length - 1] ?? "").toLowerCase();
}

/** A string constant's value (`'x'`, `'x'::regclass`), or undefined for anything else. */
export function stringConst(n: Node | undefined): string | undefined {
  if (!n) return undefined;
  if (n.TypeCast) return stringConst(n.TypeCast.arg);
  return n.A_Const?.sval?.sval;
}

/** A numeric or string constant as text (`0`, `'0s'`), or undefined. */
export function constText(n: Node | undefined): string | undefined {
  const c = n?.A_Const;
  if (!c) return stringConst(n);
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return String(c.fval.fval);
  if (c.sval) return String(c.sval.sval ?? "");
  return undefined;
}
