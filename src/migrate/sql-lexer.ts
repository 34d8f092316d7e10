/**
 * PostgreSQL's lexical structure in plain JavaScript: where a SQL text's statements start and end
 * (semicolons inside strings, quoted identifiers, dollar quotes and comments do not end one), and
 * each statement's code with those blanked out. It answers, without loading the WebAssembly
 * parser, the two questions every pending migration asks: can any of its statements be one
 * `refused-statements.ts` refuses (only then is the parser loaded), and is a `transaction:false`
 * section a single statement (then it is sent as it is, with no split).
 *
 * It follows PostgreSQL's scanner (scan.l) with standard_conforming_strings on, as libpg-query
 * does: `'...'` with `''` (also B'', X'', N'', U&''), `E'...'` with backslash escapes too,
 * `"..."` with `""`, `$tag$...$tag$` (a tag is an identifier without `$`; a `$` inside an
 * identifier, or `$1`, starts none), `--` to the end of the line and nested block comments
 * anywhere (even inside a run of operator characters). tests/migrate/sql-lexer.test.ts holds it
 * to libpg-query's scanner. The work is a few regular expressions over the text, not a loop over
 * its characters: it runs once per pending file, cold, before the JIT has warmed up.
 */

/** One statement: string offsets of its first and last token (end exclusive, without the `;`). */
export interface LexedStatement {
  readonly start: number;
  readonly end: number;
  /**
   * The statement's text from `start` to `end` with its comments blanked out (spaces), each string
   * and dollar-quoted body replaced by `#`s and each quoted identifier by its content (its other
   * characters `_`), all at the same length: the words left are its keywords and identifiers.
   */
  readonly code: string;
}

/**
 * What can hide a semicolon, each where the scanner starts one: a line comment, a block comment's
 * opening (nesting is followed by hand), an E'' string (an `e` that does not continue an
 * identifier), a standard string, a quoted identifier, a dollar quote's opening (a `$` that does
 * not continue an identifier); last, a lone quote that never closes.
 */
const HIDES =
  /--[^\n\r]*|\/\*|[eE](?<![\w$\u0080-\uffff][eE])'[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*'|'[^']*(?:''[^']*)*'|"[^"]*(?:""[^"]*)*"|\$(?<![\w$\u0080-\uffff]\$)(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$|['"]/g;

/**
 * The statements of `sql`, in order; statements holding only comments are left out, as the server
 * leaves them out. Undefined when the text does not lex (an unterminated string, quoted
 * identifier, dollar quote or comment): the caller then asks the real scanner, which says where.
 */
export function lexStatements(sql: string): LexedStatement[] | undefined {
  const code = blankOut(sql);
  if (code === undefined) return undefined;
  const out: LexedStatement[] = [];
  for (let from = 0; from <= code.length; ) {
    let to = code.indexOf(";", from);
    if (to < 0) to = code.length;
    let start = from;
    let end = to;
    while (start < end && isSpace(code.charCodeAt(start))) start++;
    while (end > start && isSpace(code.charCodeAt(end - 1))) end--;
    if (end > start) out.push({ start, end, code: code.slice(start, end) });
    from = to + 1;
  }
  return out;
}

/** `sql` with what can hide a semicolon blanked out (see LexedStatement.code), or undefined when it does not lex. */
function blankOut(sql: string): string | undefined {
  let out = "";
  let copied = 0;
  HIDES.lastIndex = 0;
  for (let m = HIDES.exec(sql); m !== null; m = HIDES.exec(sql)) {
    const open = m.index;
    const found = m[0];
    let end = open + found.length;
    let replacement: string;
    if (found.startsWith("--")) {
      replacement = " ".repeat(found.length);
    } else if (found === "/*") {
      end = commentEnd(sql, open);
      if (end < 0) return undefined;
      replacement = " ".repeat(end - open);
    } else if (found === "'" || found === '"') {
      return undefined;
    } else if (found.startsWith("$")) {
      const close = sql.indexOf(found, end);
      if (close < 0) return undefined;
      end = close + found.length;
      replacement = "#".repeat(end - open);
    } else if (found.startsWith('"')) {
      replacement = `#${found.slice(1, -1).replace(/[^\w$\u0080-\uffff]/g, "_")}#`;
    } else {
      replacement = "#".repeat(found.length);
    }
    out += sql.slice(copied, open) + replacement;
    copied = end;
    HIDES.lastIndex = end;
  }
  return out + sql.slice(copied);
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** The index after the (nested) block comment opening at `open`, or -1 when it never closes. */
function commentEnd(sql: string, open: number): number {
  const marks = /\/\*|\*\//g;
  marks.lastIndex = open;
  let depth = 0;
  for (let m = marks.exec(sql); m !== null; m = marks.exec(sql)) {
    depth += m[0] === "/*" ? 1 : -1;
    if (depth === 0) return m.index + 2;
  }
  return -1;
}
