/**
 * Turning a PostgreSQL error inside a migration into a message a person can act on: file, line
 * and column, the failing statement with a caret under the error, what was rolled back and what
 * to do next.
 */
import { type MigrationFile, positionOf, type Section } from "./files";
import { HISTORY_TABLE, RECORD_FUNCTION } from "./history";
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

/**
 * A migration stopped because the connection to the server was lost (the server shut down or
 * restarted, the backend was terminated, the network dropped), not because of its SQL.
 */
export class ConnectionLostError extends MigrationError {
  constructor(message: string, filename: string, sqlState: string | undefined, options?: { cause?: unknown }) {
    super(message, filename, undefined, undefined, sqlState, options);
    this.name = "ConnectionLostError";
  }
}

/** SQLSTATEs that mean the server ended the session: connection exceptions (08), admin, crash or immediate shutdown. */
const LOST_STATES = /^(08...|57P0[123])$/;
/** What Node and pg say when the socket goes away under a query. */
const LOST_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ENOTCONN", "EHOSTUNREACH"]);
const LOST_MESSAGES = /Connection terminated|is not queryable|connection error/i;

/** True when `cause` says the connection or the server went away, rather than a statement failing. */
export function isConnectionLoss(cause: unknown): boolean {
  const e = (cause ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (LOST_STATES.test(code) || LOST_CODES.has(code)) return true;
  return code === "" && typeof e.message === "string" && LOST_MESSAGES.test(e.message);
}

/** Where the run stood when the connection was lost, for the report. */
export interface LostPlace {
  readonly file: MigrationFile;
  readonly which: "up" | "down";
  /** What of this file ran and what is recorded of it. */
  readonly outcome: string;
  /** What to do besides running the command again. */
  readonly before?: string;
}

/** The report for a connection lost while `place.file` ran: the file is not at fault. */
export function connectionLost(cause: unknown, place: LostPlace): ConnectionLostError {
  const err = cause as { message?: string; code?: string };
  const doing = place.which === "up" ? "applying" : "rolling back";
  const lines = [
    `${place.file.filename}: the connection to the server was lost while ${doing} it: ${maskSecrets(err.message ?? String(cause))}${err.code ? ` (${/^[0-9A-Z]{5}$/.test(err.code) ? "SQLSTATE " : ""}${err.code})` : ""}.`,
    `  The server went away (shut down, restarted, or ended this session), or the network did; ${place.file.filename} is not at fault.`,
    `  ${place.outcome}`,
    `  Next: once the server is back, ${place.before ? `${place.before}, then ` : ""}run the command again (precog-db status shows what is applied); it goes on from the first migration not recorded.`,
  ];
  return new ConnectionLostError(lines.join("\n"), place.file.filename, err.code, { cause });
}

export interface FailurePlace {
  readonly file: MigrationFile;
  readonly section: Section;
  readonly which: "up" | "down";
  /** Error offset within the section's SQL (string offset), from the server's position. */
  readonly offset?: number;
  /** 0-based index of the failing statement, when the position is unknown. */
  readonly statementIndex?: number;
  /**
   * Set when the file's statements all ran and what the runner did after them in the same
   * transaction failed (the lock check, the history row, the COMMIT): says so, instead of a statement.
   */
  readonly afterStatements?: string;
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
  if (place.afterStatements !== undefined) {
    lines.push(`  ${place.afterStatements}`);
  } else if (offset !== undefined) {
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
  const where = err.where === undefined ? undefined : withoutEngineFrames(err.where);
  if (where) lines.push(`  context: ${where}`);
  lines.push(`  ${place.outcome}`, `  Next: ${place.next}`);
  return new MigrationError(lines.join("\n"), file.filename, line, column, err.code, { cause });
}

/**
 * The server's context for an error without the frames of the engine's own history function
 * (history.ts RECORD_FUNCTION: its INSERT, its lock check), which say nothing about the file; the
 * frames inside it (a trigger the file put on the history table) stay.
 */
export function withoutEngineFrames(where: string): string {
  const own = [`SQL statement "INSERT INTO ${HISTORY_TABLE} `, `PL/pgSQL function ${RECORD_FUNCTION}(`]
    .map((frame) => where.indexOf(frame))
    .filter((at) => at >= 0 && (at === 0 || where[at - 1] === "\n"));
  return own.length ? where.slice(0, Math.min(...own)).trim() : where;
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
