/**
 * Statements a migration file must not hold, found before anything runs and refused with their
 * file, line and column (`plan` lists them as problems):
 *
 * - Transaction control. The engine owns every migration's transaction: it begins it, records the
 *   history row in it and commits it, and runs a `transaction:false` section statement by
 *   statement in autocommit. A file's own BEGIN, COMMIT, ROLLBACK, END, savepoint or two-phase
 *   command would commit half a migration, record it wrongly or leave the session inside a
 *   transaction.
 * - SET TRANSACTION (isolation level, read only, deferrable): the engine begins the transaction and
 *   runs its own statements in it first, so the level can no longer be chosen there. The
 *   `isolation:` option on the section's line begins the transaction at that level, and so does a
 *   `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ | SERIALIZABLE` that is a transactional
 *   section's first statement (files.ts `isolationOf`: the engine takes it as the option); a
 *   statement naming the level the transaction begins at is then a no-op and allowed. Any other
 *   (a later one with no level in force, another level, in a transaction:false section, READ
 *   ONLY, DEFERRABLE) is refused.
 * - In a transactional section, statements PostgreSQL cannot run inside a transaction block
 *   (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY, VACUUM,
 *   CREATE/DROP DATABASE or TABLESPACE, ALTER SYSTEM): refused before anything runs, saying to put
 *   transaction:false on the line, rather than failing midway through a run.
 * - COPY with the client's stdin or stdout. A file cannot carry COPY's data (psql's data rows
 *   after `COPY ... FROM stdin;` are not SQL, and the engine sends COPY no data: in a
 *   `transaction:false` file the rows would run as the next statement), and COPY's output has
 *   nowhere to go. COPY from or to a file on the server, or a program, is not refused.
 *
 * Found with PostgreSQL's parser (a plpgsql body's BEGIN ... END is a string to it, a `BEGIN
 * ATOMIC` function body is part of CREATE FUNCTION); the parser is loaded only when a statement
 * of a section could be one of them by its words (see `mayRefuse`), so ordinary migrations never
 * pay for it. Applying files checks their
 * down sections too: a down section that could never run is found when its file is applied, not
 * when it is first needed. Text the parser rejects (data
 * rows after a COPY) is checked statement by statement; text even the scanner rejects (data rows
 * with a lone quote) is searched line by line for COPY ... FROM STDIN, and the server reports the
 * rest.
 */
import { type Isolation, isolationOf, type MigrationFile, positionOf, type Section } from "./files";
import { byteToCharOffsets, loadParser, splitStatements } from "./parser";
import type { Problem } from "./reconcile";
import { lexStatements } from "./sql-lexer";

/** Words that can start a refused statement; a section without any needs no parse. */
const MAY_REFUSE =
  /\b(begin|start|commit|end|rollback|abort|savepoint|release|prepare|copy|transaction|transaction_\w+)\b/i;
/** Words of the statements refused in a transactional section only (they cannot run in a transaction block). */
const MAY_NEED_NO_TRANSACTION = /\b(concurrently|vacuum|database|tablespace|system)\b/i;

/** Statements that may be refused, by their first word (the transaction-control and COPY ones) ... */
const LEADS_REFUSED = /^(begin|start|commit|end|rollback|abort|savepoint|release|prepare|copy)\b/i;
/** ... or their first word and another (SET TRANSACTION, SET or RESET transaction_isolation). */
const SETS = /^(set|reset)\b/i;
const TRANSACTION_WORD = /\btransaction\w*\b/i;
/** The one SET TRANSACTION that is allowed when it names the section's isolation level: a no-op then. */
const SET_ISOLATION =
  /^set\s+(?:local\s+|session\s+)?transaction\s+isolation\s+level\s+(repeatable\s+read|serializable)$/i;

/** Whether a SET or RESET statement's code may be refused: it names the transaction, and is not the allowed no-op. */
function setMayRefuse(code: string, section: Section): boolean {
  if (!SETS.test(code) || !TRANSACTION_WORD.test(code)) return false;
  const level = SET_ISOLATION.exec(code)?.[1].replace(/\s+/g, " ").toLowerCase();
  return level === undefined || level !== isolationOf(section);
}

/**
 * Whether the parser must look at `section`: some statement in it starts with a word a refused
 * statement starts with, or (in a transactional section) holds a word of the statements that
 * cannot run in a transaction block. A text search rules out most sections; the lexer then looks
 * only at code (not strings, comments or dollar-quoted bodies such as plpgsql's BEGIN ... END)
 * and at each statement's first word, so CASE ... END or a column named `release` needs no
 * parse, nor does the allowed `SET TRANSACTION ISOLATION LEVEL` naming the section's level. Text
 * the lexer cannot read is parsed.
 */
function mayRefuse(section: Section): boolean {
  const transactional = section.options.transaction;
  if (!MAY_REFUSE.test(section.sql) && !(transactional && MAY_NEED_NO_TRANSACTION.test(section.sql))) return false;
  const statements = lexStatements(section.sql);
  if (statements === undefined) return true;
  return statements.some(
    ({ code }) =>
      LEADS_REFUSED.test(code) || setMayRefuse(code, section) || (transactional && MAY_NEED_NO_TRANSACTION.test(code)),
  );
}

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
  /^(begin|start\s+transaction|commit\s+prepared|commit|end|rollback\s+prepared|rollback\s+to|rollback|abort|savepoint|release|prepare\s+transaction|set\s+transaction)\b/i;

/** COPY ... FROM STDIN at the start of a line, for a section even the scanner rejects. */
const COPY_FROM_STDIN_LINE = /^[ \t]*copy\b[^;]*?\bfrom\s+stdin\b/gim;

const COPY_FROM_STDIN = "COPY ... FROM STDIN";
const COPY_TO_STDOUT = "COPY ... TO STDOUT";

/** Why a statement is refused: each kind has its own advice. */
type Kind = "transaction-control" | "copy" | "set-transaction" | "needs-no-transaction";

interface Refused {
  /** String offset in the section's SQL. */
  readonly offset: number;
  /** As messages name it: "COMMIT", "COPY ... FROM STDIN". */
  readonly keyword: string;
  readonly kind: Kind;
}

/** One refused statement, where it is and what to do instead. */
export interface RefusedStatement {
  readonly filename: string;
  readonly which: "up" | "down";
  readonly line: number;
  readonly column: number;
  /** As messages name it: "COMMIT", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ". */
  readonly keyword: string;
  readonly advice: string;
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

/**
 * One problem per refused statement in `files`; empty when there is none. "up" (the files are
 * about to be applied) checks their up and down sections; "down" only the down sections.
 */
export async function refusedStatementProblems(
  files: readonly MigrationFile[],
  which: "up" | "down",
): Promise<Problem[]> {
  return (await refusedStatements(files, which)).map((r) => ({
    file: r.filename,
    message: `${r.filename}:${r.line}:${r.column}: ${r.keyword} in the ${r.which} section. ${r.advice}`,
  }));
}

/** Every refused statement in `files`, as `refusedStatementProblems` finds them, with its place and advice. */
export async function refusedStatements(
  files: readonly MigrationFile[],
  which: "up" | "down",
): Promise<RefusedStatement[]> {
  const found: RefusedStatement[] = [];
  for (const file of files) {
    const sections: ["up" | "down", Section | undefined][] =
      which === "up"
        ? [
            ["up", file.up],
            ["down", file.down],
          ]
        : [["down", file.down]];
    for (const [name, section] of sections) {
      if (section === undefined || !mayRefuse(section)) continue;
      for (const r of await refusedIn(section)) {
        const { line, column } = positionOf(file.text, section.offset + r.offset);
        found.push({
          filename: file.filename,
          which: name,
          line,
          column,
          keyword: r.keyword,
          advice: advice(r, section, name),
        });
      }
    }
  }
  return found;
}

function advice({ keyword, kind }: Refused, section: Section, which: "up" | "down"): string {
  if (kind === "set-transaction") return setTransactionAdvice(keyword, section, which);
  if (kind === "needs-no-transaction")
    return `${keyword} cannot run inside a transaction block, and this section runs in one: put transaction:false on its -- migrate:${which} line (it then runs statement by statement, each committed on its own: make them safe to repeat with IF NOT EXISTS / IF EXISTS).`;
  if (keyword === COPY_FROM_STDIN)
    return "A migration file cannot carry COPY's data (the rows after the statement are not SQL, and precog-db sends COPY no data): insert the rows with INSERT ... VALUES, COPY from a file on the server, or load them outside migrations (psql's \\copy).";
  if (keyword === COPY_TO_STDOUT)
    return "A migration's output goes nowhere: remove it, or COPY to a file on the server.";
  return section.options.transaction
    ? `precog-db runs each migration in one transaction of its own and records it there, so a file must not begin, end or divide transactions: remove it (a section that cannot run in a transaction takes transaction:false on its -- migrate:${which} line).`
    : "A transaction:false section runs statement by statement, each committed on its own, so it must not begin, end or divide transactions: remove it.";
}

/** What to do about a refused SET TRANSACTION: each way it can be wrong has its own advice. */
function setTransactionAdvice(keyword: string, section: Section, which: "up" | "down"): string {
  const asked = /ISOLATION LEVEL (REPEATABLE READ|SERIALIZABLE)$/.exec(keyword)?.[1];
  const option = asked === "SERIALIZABLE" ? "isolation:serializable" : "isolation:repeatable-read";
  const line = `its -- migrate:${which} line`;
  if (!section.options.transaction)
    return `A transaction:false section runs each statement on its own, outside any transaction, so there is no transaction for it to set: remove it${asked ? ` (a level needs a transactional section: drop transaction:false and put ${option} on ${line})` : ""}.`;
  if (!asked)
    return `The engine begins each migration's transaction and runs its own statements in it first, so the file can no longer set its characteristics: remove it (the isolation:repeatable-read or isolation:serializable option on the -- migrate:${which} line sets the isolation level; a migration's transaction is read-write).`;
  const inForce = isolationOf(section);
  if (inForce)
    return `The section's transaction begins at ${inForce.toUpperCase()} (${section.options.isolation ? `isolation: on ${line}` : "its first statement"}), and a transaction's isolation level cannot change once it has begun: keep one level.`;
  return `The engine begins each migration's transaction and runs its own statements in it first, so a statement after the section's first can no longer set its isolation level: put ${option} on ${line}, or make this statement the section's first (the engine takes that as the same option); either way the engine begins the transaction at that level.`;
}

type ParsedStatement = { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number };

async function refusedIn(section: Section): Promise<Refused[]> {
  const sql = section.sql;
  const pg = await loadParser();
  const parse = (text: string): ParsedStatement[] =>
    (pg.parseSync(text) as unknown as { stmts?: ParsedStatement[] }).stmts ?? [];
  try {
    return fromParsed(sql, parse(sql), 0, section);
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
      kind: "copy" as const,
    }));
  }
  return spans.flatMap((s) => {
    try {
      return fromParsed(s.text, parse(s.text), s.start, section);
    } catch {
      const m = LEADING.exec(s.text);
      if (!m) return [];
      const keyword = m[1].replace(/\s+/g, " ").toUpperCase();
      return [
        { offset: s.start, keyword, kind: keyword === "SET TRANSACTION" ? "set-transaction" : "transaction-control" },
      ];
    }
  });
}

/** The refused statements among `stmts`, parsed from `sql`, which starts at `base` in the section. */
function fromParsed(sql: string, stmts: readonly ParsedStatement[], base: number, section: Section): Refused[] {
  const toChar = byteToCharOffsets(sql);
  return stmts.flatMap(({ stmt, stmt_location = 0, stmt_len }) => {
    const refused = refusedKind(stmt, section);
    if (refused === undefined) return [];
    const { keyword, kind } = refused;
    const start = toChar(stmt_location);
    const raw = sql.slice(start, stmt_len ? toChar(stmt_location + stmt_len) : undefined);
    const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(raw)?.[0].length ?? 0;
    const word = /^\w+/.exec(raw.slice(lead))?.[0].toUpperCase();
    // END and ABORT parse as COMMIT and ROLLBACK: name the statement as the file spells it.
    return [{ offset: base + start + lead, keyword: word === "END" || word === "ABORT" ? word : keyword, kind }];
  });
}

function refusedKind(stmt: ParsedStatement["stmt"], section: Section): { keyword: string; kind: Kind } | undefined {
  const tx = stmt.TransactionStmt?.kind as string | undefined;
  if (tx !== undefined) return { keyword: KINDS[tx] ?? tx, kind: "transaction-control" };
  const copy = stmt.CopyStmt;
  // Neither a server file nor a program: the client's stdin or stdout.
  if (copy && copy.filename === undefined && !copy.is_program)
    return { keyword: copy.is_from ? COPY_FROM_STDIN : COPY_TO_STDOUT, kind: "copy" };
  const set = setTransaction(stmt.VariableSetStmt as Node | undefined, isolationOf(section));
  if (set) return { keyword: set, kind: "set-transaction" };
  const outside = section.options.transaction ? needsNoTransaction(stmt) : undefined;
  return outside ? { keyword: outside, kind: "needs-no-transaction" } : undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's untyped JSON, every step guarded with `?.`
type Node = Record<string, any>;

/**
 * `SET TRANSACTION ...` or `SET [LOCAL] transaction_isolation`, as messages name it; undefined for
 * other statements and for the isolation level the section's transaction begins at (a no-op).
 */
function setTransaction(v: Node | undefined, inForce: Isolation | undefined): string | undefined {
  if (!v || (v.name !== "TRANSACTION" && v.name !== "transaction_isolation")) return undefined;
  const items: { name: string; value: unknown }[] =
    v.name === "TRANSACTION"
      ? (v.args ?? []).map((a: Node) => ({
          name: a.DefElem?.defname,
          value: a.DefElem?.arg?.A_Const?.sval?.sval ?? a.DefElem?.arg?.A_Const?.ival?.ival ?? 0,
        }))
      : [{ name: "transaction_isolation", value: v.args?.[0]?.A_Const?.sval?.sval }];
  const level = (x: unknown) => String(x ?? "").toLowerCase();
  if (items.every((i) => i.name === "transaction_isolation" && level(i.value) === inForce)) return undefined;
  const words = items.map((i) =>
    i.name === "transaction_isolation"
      ? `ISOLATION LEVEL ${level(i.value).toUpperCase()}`
      : i.name === "transaction_read_only"
        ? i.value
          ? "READ ONLY"
          : "READ WRITE"
        : i.value
          ? "DEFERRABLE"
          : "NOT DEFERRABLE",
  );
  return `SET TRANSACTION ${words.join(", ")}`;
}

/** The statements PostgreSQL refuses inside a transaction block, as messages name them. */
function needsNoTransaction(s: Node): string | undefined {
  if (s.IndexStmt?.concurrent) return "CREATE INDEX CONCURRENTLY";
  if (s.DropStmt?.concurrent) return "DROP INDEX CONCURRENTLY";
  const reindex = s.ReindexStmt;
  if (reindex) {
    if ((reindex.params ?? []).some((p: Node) => p.DefElem?.defname === "concurrently")) return "REINDEX CONCURRENTLY";
    if (reindex.kind === "REINDEX_OBJECT_DATABASE" || reindex.kind === "REINDEX_OBJECT_SYSTEM")
      return `REINDEX ${String(reindex.kind).replace("REINDEX_OBJECT_", "")}`;
  }
  const detach = (s.AlterTableStmt?.cmds ?? []).some(
    (c: Node) => c.AlterTableCmd?.subtype === "AT_DetachPartition" && c.AlterTableCmd.def?.PartitionCmd?.concurrent,
  );
  if (detach) return "DETACH PARTITION CONCURRENTLY";
  if (s.VacuumStmt?.is_vacuumcmd) return "VACUUM";
  if (s.CreatedbStmt) return "CREATE DATABASE";
  if (s.DropdbStmt) return "DROP DATABASE";
  if (s.CreateTableSpaceStmt) return "CREATE TABLESPACE";
  if (s.DropTableSpaceStmt) return "DROP TABLESPACE";
  if (s.AlterSystemStmt) return "ALTER SYSTEM";
  return undefined;
}
