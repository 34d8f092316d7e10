/**
 * The real PostgreSQL parser (libpg-query, WebAssembly), loaded only when needed: linting,
 * splitting a non-transactional migration into statements, and locating a failing statement.
 * A no-op `migrate` never loads it.
 *
 * libpg-query reports byte offsets into the UTF-8 text; everything here converts them to
 * JavaScript string offsets so callers never see bytes.
 */
import type * as LibPgQuery from "libpg-query";
import { lexStatements } from "./sql-lexer";

let loaded: Promise<typeof LibPgQuery> | undefined;

/** Loads (once) and returns the parser module. */
export function loadParser(): Promise<typeof LibPgQuery> {
  loaded ??= (async () => {
    const mod = require("libpg-query") as typeof LibPgQuery;
    await mod.loadModule();
    return mod;
  })();
  return loaded;
}

/** One statement of a SQL text, by JavaScript string offsets (end exclusive, without the `;`). */
export interface StatementSpan {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Maps UTF-8 byte offsets of `text` to string offsets. */
export function byteToCharOffsets(text: string): (byte: number) => number {
  const buf = Buffer.from(text, "utf8");
  if (buf.length === text.length) return (b) => b;
  return (b) => buf.subarray(0, b).toString("utf8").length;
}

/**
 * Splits SQL into statements with the PostgreSQL scanner: semicolons inside strings, dollar
 * quotes and comments do not split. Statements holding only comments are dropped, as the server
 * drops them. Works on text the grammar rejects (it only tokenizes); throws on text the scanner
 * rejects (an unterminated string). A text of one statement (or none) is answered by the lexer
 * (sql-lexer.ts, held to the scanner by its tests), without loading the parser.
 */
export async function splitStatements(sql: string): Promise<StatementSpan[]> {
  // Most transaction:false sections are one statement: the lexer says so without the parser.
  const lexed = lexStatements(sql);
  if (lexed !== undefined && lexed.length <= 1)
    return lexed.map(({ start, end }) => ({ start, end, text: sql.slice(start, end) }));
  const pg = await loadParser();
  const toChar = byteToCharOffsets(sql);
  const spans: StatementSpan[] = [];
  let first = -1;
  let last = -1;
  const flush = () => {
    if (first >= 0)
      spans.push({ start: toChar(first), end: toChar(last), text: sql.slice(toChar(first), toChar(last)) });
    first = -1;
  };
  for (const t of pg.scanSync(sql).tokens) {
    if (t.tokenName === "ASCII_59") {
      flush();
      continue;
    }
    if (t.tokenName === "SQL_COMMENT" || t.tokenName === "C_COMMENT") continue;
    if (first < 0) first = t.start;
    last = t.end;
  }
  flush();
  return spans;
}
