/**
 * The statements a function or procedure body runs, for the lint to check where the file calls
 * it: a `BEGIN ATOMIC` body (already parsed), a LANGUAGE sql body (a string, parsed here), and a
 * plpgsql body (through libpg-query's plpgsql parser: every SQL statement it embeds, in any
 * branch or loop). Other languages, and bodies built at run time (EXECUTE of a string), are not seen.
 */
import type { loadParser } from "../parser";
import type { Node } from "./walk";

type Parser = Awaited<ReturnType<typeof loadParser>>;

/** The body's statements; empty when there are none the lint can read. */
export function functionBody(pg: Parser, f: Node, createText: string): Node[] {
  const option = (name: string) => (f.options ?? []).find((o: Node) => o.DefElem?.defname === name)?.DefElem?.arg;
  const language = String(option("language")?.String?.sval ?? "sql").toLowerCase();
  try {
    if (f.sql_body) return (f.sql_body.List?.items ?? []).flatMap((l: Node) => l.List?.items ?? []);
    const body = option("as")?.List?.items?.[0]?.String?.sval;
    if (language === "sql" && typeof body === "string") return parse(pg, body);
    if (language === "plpgsql") {
      const tree = pg.parsePlPgSQLSync(createText) as unknown as Node;
      return embeddedQueries(tree).flatMap((q) => parse(pg, q));
    }
  } catch {
    // A body the parser cannot read is the server's to report when the function is created.
  }
  return [];
}

function parse(pg: Parser, sql: string): Node[] {
  return ((pg.parseSync(sql) as unknown as { stmts?: { stmt: Node }[] }).stmts ?? []).map((s) => s.stmt);
}

/** The SQL statements (parseMode 0: whole statements, not expressions) anywhere in a plpgsql tree. */
function embeddedQueries(tree: unknown): string[] {
  const found: string[] = [];
  const step = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) step(x);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const expr = (v as Node).PLpgSQL_expr;
    if (expr && (expr.parseMode ?? 0) === 0 && typeof expr.query === "string") found.push(expr.query);
    for (const child of Object.values(v as Node)) step(child);
  };
  step(tree);
  return found;
}
