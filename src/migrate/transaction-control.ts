/**
 * Transaction control inside a migration file, found before anything runs. The engine owns every
 * migration's transaction: it begins it, records the history row in it and commits it, and runs a
 * `transaction:false` section statement by statement in autocommit. A file's own BEGIN, COMMIT,
 * ROLLBACK, END, savepoint or two-phase command would commit half a migration, record it wrongly
 * or leave the session inside a transaction, so each one is refused with its file and line.
 *
 * Found with PostgreSQL's parser (a plpgsql body's BEGIN ... END is a string to it, a `BEGIN
 * ATOMIC` function body is part of CREATE FUNCTION); the parser is loaded only when a section holds
 * one of the words at all, so ordinary migrations never pay for it. Text the parser rejects is
 * checked statement by statement with the scanner instead.
 */
import { type MigrationFile, positionOf, type Section } from "./files";
import { byteToCharOffsets, loadParser, splitStatements } from "./parser";

/** Words that can start a transaction-control statement; a section without any needs no parse. */
const MAY_CONTROL = /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare)\b/i;

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

/** The same statements by their leading words, for text the parser rejects. */
const LEADING =
  /^(begin|start\s+transaction|commit\s+prepared|commit|end|rollback\s+prepared|rollback\s+to|rollback|abort|savepoint|release|prepare\s+transaction)\b/i;

/** Throws, listing every transaction-control statement in the given sections, before anything runs. */
export async function refuseTransactionControl(files: readonly MigrationFile[], which: "up" | "down"): Promise<void> {
  const problems = await transactionControlProblems(files, which);
  if (problems.length === 0) return;
  throw new Error(
    `Refusing to run: ${problems.length} statement(s) in migration files control the transaction. ` +
      `Nothing was ${which === "up" ? "applied" : "rolled back"}.\n  - ${problems.join("\n  - ")}`,
  );
}

/** One sentence per transaction-control statement in the given sections of `files`; empty when there is none. */
export async function transactionControlProblems(
  files: readonly MigrationFile[],
  which: "up" | "down",
): Promise<string[]> {
  const problems: string[] = [];
  for (const file of files) {
    const section = which === "up" ? file.up : file.down;
    if (section === undefined || !MAY_CONTROL.test(section.sql)) continue;
    for (const { offset, keyword } of await controlStatements(section.sql)) {
      const { line, column } = positionOf(file.text, section.offset + offset);
      problems.push(
        `${file.filename}:${line}:${column}: ${keyword} in the ${which} section. ${advice(section, which)}`,
      );
    }
  }
  return problems;
}

function advice(section: Section, which: "up" | "down"): string {
  return section.options.transaction
    ? `precog-db runs each migration in one transaction of its own and records it there, so a file must not begin, end or divide transactions: remove it (a section that cannot run in a transaction takes transaction:false on its -- migrate:${which} line).`
    : "A transaction:false section runs statement by statement, each committed on its own, so it must not begin, end or divide transactions: remove it.";
}

async function controlStatements(sql: string): Promise<{ offset: number; keyword: string }[]> {
  const pg = await loadParser();
  let stmts: { stmt: Record<string, { kind?: string }>; stmt_location?: number; stmt_len?: number }[];
  try {
    stmts = (pg.parseSync(sql) as unknown as { stmts?: typeof stmts }).stmts ?? [];
  } catch {
    return (await splitStatements(sql)).flatMap((s) => {
      const m = LEADING.exec(s.text);
      return m ? [{ offset: s.start, keyword: m[1].replace(/\s+/g, " ").toUpperCase() }] : [];
    });
  }
  const toChar = byteToCharOffsets(sql);
  return stmts.flatMap(({ stmt, stmt_location = 0, stmt_len }) => {
    const kind = stmt.TransactionStmt?.kind;
    if (kind === undefined) return [];
    const start = toChar(stmt_location);
    const raw = sql.slice(start, stmt_len ? toChar(stmt_location + stmt_len) : undefined);
    const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(raw)?.[0].length ?? 0;
    const word = /^\w+/.exec(raw.slice(lead))?.[0].toUpperCase();
    // END and ABORT parse as COMMIT and ROLLBACK: name the statement as the file spells it.
    const keyword = word === "END" || word === "ABORT" ? word : (KINDS[kind] ?? kind);
    return [{ offset: start + lead, keyword }];
  });
}
