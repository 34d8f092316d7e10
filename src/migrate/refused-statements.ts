/**
 * Statements a migration file must not hold, found before anything runs and refused with their
 * file, line and column (`plan` lists them as problems):
 *
 * - Transaction control. The engine owns every migration's transaction: it begins it, records the
 *   history row in it and commits it, and runs a `transaction:false` section statement by
 *   statement in autocommit. A file's own BEGIN, COMMIT, ROLLBACK, END, savepoint or two-phase
 *   command would commit half a migration, record it wrongly or leave the session inside a
 *   transaction.
 * - COPY with the client's stdin or stdout. A file cannot carry COPY's data (psql's data rows
 *   after `COPY ... FROM stdin;` are not SQL, and the engine sends COPY no data: in a
 *   `transaction:false` file the rows would run as the next statement), and COPY's output has
 *   nowhere to go. COPY from or to a file on the server, or a program, is not refused.
 *
 * Found with PostgreSQL's parser (a plpgsql body's BEGIN ... END is a string to it, a `BEGIN
 * ATOMIC` function body is part of CREATE FUNCTION); the parser is loaded only when a section holds
 * one of the words at all, so ordinary migrations never pay for it. Text the parser rejects (data
 * rows after a COPY) is checked statement by statement; text even the scanner rejects (data rows
 * with a lone quote) is searched line by line for COPY ... FROM STDIN, and the server reports the
 * rest.
 */
import { type MigrationFile, positionOf, type Section } from "./files";
import { byteToCharOffsets, loadParser, splitStatements } from "./parser";
import type { Problem } from "./reconcile";

/** Words that can start a refused statement; a section without any needs no parse. */
const MAY_REFUSE = /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare|copy)\b/i;

/** What each TransactionStmt kind is called in messages. */
const KINDS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

/** The transaction-control statements by their leading words, for a statement the parser rejects. */
const LEADING =
  /^(begin|start\s+transaction|commit\s+prepared|commit|end|rollback\s+prepared|rollback\s+to|rollback|abort|savepoint|release|prepare\s+transaction)\b/i;

/** COPY ... FROM STDIN at the start of a line, for a section even the scanner rejects. */
const COPY_FROM_STDIN_LINE = /^[ \t]*copy\b[^;]*?\bfrom\s+stdin\b/gim;

const COPY_FROM_STDIN = "COPY ... FROM STDIN";
const COPY_TO_STDOUT = "COPY ... TO STDOUT";

interface Refused {
  /** String offset in the section's SQL. */
  readonly offset: number;
  /** As messages name it: "COMMIT", "COPY ... FROM STDIN". */
  readonly keyword: string;
}

/** Throws, listing every refused statement in the given sections, before anything runs. */
export async function refuseStatements(files: readonly MigrationFile[], which: "up" | "down"): Promise<void> {
  const problems = await refusedStatementProblems(files, which);
  if (problems.length === 0) return;
  throw new Error(
    `Refusing to run: ${problems.length} statement(s) in migration files cannot run in a migration. ` +
      `Nothing was ${which === "up" ? "applied" : "rolled back"}.\n  - ${problems.map((p) => p.message).join("\n  - ")}`,
  );
}

/** One problem per refused statement in the given sections of `files`; empty when there is none. */
export async function refusedStatementProblems(
  files: readonly MigrationFile[],
  which: "up" | "down",
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const file of files) {
    const section = which === "up" ? file.up : file.down;
    if (section === undefined || !MAY_REFUSE.test(section.sql)) continue;
    for (const { offset, keyword } of await refusedIn(section.sql)) {
      const { line, column } = positionOf(file.text, section.offset + offset);
      problems.push({
        file: file.filename,
        message: `${file.filename}:${line}:${column}: ${keyword} in the ${which} section. ${advice(keyword, section, which)}`,
      });
    }
  }
  return problems;
}

function advice(keyword: string, section: Section, which: "up" | "down"): string {
  if (keyword === COPY_FROM_STDIN)
    return "A migration file cannot carry COPY's data (the rows after the statement are not SQL, and precog-db sends COPY no data): insert the rows with INSERT ... VALUES, COPY from a file on the server, or load them outside migrations (psql's \\copy).";
  if (keyword === COPY_TO_STDOUT)
    return "A migration's output goes nowhere: remove it, or COPY to a file on the server.";
  return section.options.transaction
    ? `precog-db runs each migration in one transaction of its own and records it there, so a file must not begin, end or divide transactions: remove it (a section that cannot run in a transaction takes transaction:false on its -- migrate:${which} line).`
    : "A transaction:false section runs statement by statement, each committed on its own, so it must not begin, end or divide transactions: remove it.";
}

type ParsedStatement = { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number };

async function refusedIn(sql: string): Promise<Refused[]> {
  const pg = await loadParser();
  const parse = (text: string): ParsedStatement[] =>
    (pg.parseSync(text) as unknown as { stmts?: ParsedStatement[] }).stmts ?? [];
  try {
    return fromParsed(sql, parse(sql), 0);
  } catch {
    // The parser rejects the whole text: look at its statements one by one.
  }
  let spans: Awaited<ReturnType<typeof splitStatements>>;
  try {
    spans = await splitStatements(sql);
  } catch {
    return [...sql.matchAll(COPY_FROM_STDIN_LINE)].map((m) => ({
      offset: m.index + (/^[ \t]*/.exec(m[0])?.[0].length ?? 0),
      keyword: COPY_FROM_STDIN,
    }));
  }
  return spans.flatMap((s) => {
    try {
      return fromParsed(s.text, parse(s.text), s.start);
    } catch {
      const m = LEADING.exec(s.text);
      return m ? [{ offset: s.start, keyword: m[1].replace(/\s+/g, " ").toUpperCase() }] : [];
    }
  });
}

/** The refused statements among `stmts`, parsed from `sql`, which starts at `base` in the section. */
function fromParsed(sql: string, stmts: readonly ParsedStatement[], base: number): Refused[] {
  const toChar = byteToCharOffsets(sql);
  return stmts.flatMap(({ stmt, stmt_location = 0, stmt_len }) => {
    const keyword = refusedKeyword(stmt);
    if (keyword === undefined) return [];
    const start = toChar(stmt_location);
    const raw = sql.slice(start, stmt_len ? toChar(stmt_location + stmt_len) : undefined);
    const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(raw)?.[0].length ?? 0;
    const word = /^\w+/.exec(raw.slice(lead))?.[0].toUpperCase();
    // END and ABORT parse as COMMIT and ROLLBACK: name the statement as the file spells it.
    return [{ offset: base + start + lead, keyword: word === "END" || word === "ABORT" ? word : keyword }];
  });
}

function refusedKeyword(stmt: ParsedStatement["stmt"]): string | undefined {
  const kind = stmt.TransactionStmt?.kind as string | undefined;
  if (kind !== undefined) return KINDS[kind] ?? kind;
  const copy = stmt.CopyStmt;
  // Neither a server file nor a program: the client's stdin or stdout.
  if (copy && copy.filename === undefined && !copy.is_program) return copy.is_from ? COPY_FROM_STDIN : COPY_TO_STDOUT;
  return undefined;
}
