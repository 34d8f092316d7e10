/**
 * Turning a PostgreSQL error inside a migration into a message a person can act on: file, line
 * and column, the failing statement with a caret under the error, what was rolled back and what
 * to do next.
 */
import { type MigrationFile, positionOf, type Section } from "./files";
import { type StatementSpan, splitStatements } from "./parser";
import { maskSecrets } from "./pg";

/** A migration that failed; `message` is the full human report. */
export class MigrationError extends Error {
  constructor(
    message: string,
    /** The migration's file name. */
    readonly filename: string,
    /** 1-based, when known. */
    readonly line: number | undefined,
    readonly column: number | undefined,
    /** PostgreSQL's SQLSTATE, when the server raised it. */
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export interface FailurePlace {
  readonly file: MigrationFile;
  readonly section: Section;
  readonly which: "up" | "down";
  /** Error offset within the section's SQL (string offset), from the server's position. */
  readonly offset?: number;
  /** 0-based index of the failing statement, when the position is unknown. */
  readonly statementIndex?: number;
  /** What the runner did about it, e.g. "rolled back: nothing from it was applied". */
  readonly outcome: string;
  /** What to do next. */
  readonly next: string;
}

/** Builds the MigrationError for `cause` at `place`. Loads the parser (this is the error path). */
export async function describeFailure(cause: unknown, place: FailurePlace): Promise<MigrationError> {
  const err = cause as { message?: string; code?: string; detail?: string; hint?: string; where?: string };
  const { file, section } = place;
  let spans: StatementSpan[] = [];
  try {
    spans = await splitStatements(section.sql);
  } catch {
    // The scanner rejects the text (an unterminated string): show lines around the error instead.
  }
  const given = place.offset;
  let offset = given;
  let stmt = given !== undefined ? spans.find((s) => given >= s.start && given <= s.end) : undefined;
  if (offset === undefined && place.statementIndex !== undefined && spans[place.statementIndex]) {
    stmt = spans[place.statementIndex];
    offset = stmt.start;
  }
  const lines = [
    `${file.filename}: ${place.which} failed: ${maskSecrets(err.message ?? String(cause))}${err.code ? ` (SQLSTATE ${err.code})` : ""}`,
  ];
  let line: number | undefined;
  let column: number | undefined;
  if (offset !== undefined) {
    ({ line, column } = positionOf(file.text, section.offset + offset));
    lines.push(`  at ${file.path}:${line}:${column}`);
    const from = stmt ? positionOf(file.text, section.offset + stmt.start).line : Math.max(1, line - 2);
    const to = stmt ? positionOf(file.text, section.offset + stmt.end).line : line;
    lines.push(...excerpt(file.text, from, to, line, column));
  } else {
    lines.push(`  in ${file.path} (the server did not say which statement)`);
  }
  if (err.detail) lines.push(`  detail: ${err.detail}`);
  if (err.hint) lines.push(`  hint: ${err.hint}`);
  if (err.where) lines.push(`  context: ${err.where}`);
  lines.push(`  ${place.outcome}`, `  Next: ${place.next}`);
  return new MigrationError(lines.join("\n"), file.filename, line, column, err.code, { cause });
}

/** Numbered lines `from`..`to` (at most 12, middle elided) with a caret line after `line`. */
function excerpt(text: string, from: number, to: number, line: number, column: number): string[] {
  const all = text.split("\n");
  const width = String(to).length;
  const out: string[] = [];
  const shown =
    to - from + 1 > 12
      ? [...range(from, from + 4), -1, ...range(Math.max(line - 3, from + 5), Math.min(to, line + 3))]
      : range(from, to);
  for (const n of shown) {
    if (n === -1) {
      out.push(`  ${" ".repeat(width)} | ...`);
      continue;
    }
    out.push(`  ${String(n).padStart(width)} | ${all[n - 1] ?? ""}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${caretPad(all[n - 1] ?? "", column)}^`);
  }
  return out;
}

function range(a: number, b: number): number[] {
  const r: number[] = [];
  for (let i = a; i <= b; i++) r.push(i);
  return r;
}

/** Spaces up to the column, keeping tabs so the caret lines up under tabbed SQL. */
function caretPad(lineText: string, column: number): string {
  return lineText.slice(0, column - 1).replace(/[^\t]/g, " ");
}
