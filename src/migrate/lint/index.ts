/**
 * The migration linter: parses each up section with PostgreSQL's parser and runs the rules, in
 * version order, with what earlier statements and files taught it (state.ts). It also reports
 * every statement `migrate` and `plan` refuse (refused-statements.ts: transaction control, SET
 * TRANSACTION, CONCURRENTLY in a transaction, COPY to the client), in up and down sections: one set
 * of checks behind `lint`, `plan` and `migrate`.
 *
 * Severity follows the environment: findings are errors on staging and prod unless the file
 * approves the rule with a reason (`-- lint:approve <rule>: <reason>`), and warnings on dev and
 * test; advisory rules are warnings everywhere. A file the parser rejects, and a refused
 * statement, are always errors.
 */
import { type Environment, PROTECTED_ENVIRONMENTS } from "../../env/environment";
import { type MigrationFile, type MigrationRef, positionOf, readMigration } from "../files";
import { byteToCharOffsets, loadParser } from "../parser";
import { refusedStatements } from "../refused-statements";
import { functionBody } from "./bodies";
import type { Hit, Rule, RuleContext } from "./context";
import { type LockTimeoutSetting, lockTimeoutSetBy, SERVER_DEFAULT } from "./locks";
import { observe } from "./observe";
import { RULES } from "./rules";
import { FileState, History } from "./state";
import { executed, funcName, type Node } from "./walk";

export { RULES } from "./rules";

export interface LintFinding {
  readonly rule: string;
  /**
   * "approved" findings carry the approval's reason and never stop a run. "note" is only ever in
   * `LintReport.notes`: not a finding of an unsafe statement, but what a check could not decide
   * (or a form the engine reads as an option), printed and never stopping a run.
   */
  readonly severity: "error" | "warning" | "approved" | "note";
  readonly filename: string;
  readonly line: number;
  readonly column: number;
  /** What is unsafe, why, and the safe alternative. */
  readonly message: string;
  /** The statement's first line, for context. */
  readonly statement: string;
  /** The table the finding concerns (`schema.table`, or a description where no one table is named). */
  readonly table?: string;
  readonly reason?: string;
}

export interface LintOptions {
  readonly environment: Environment;
  /** The run's default lock_timeout, used where a file sets none. Default "5s". */
  readonly lockTimeout?: string;
  /**
   * Also report the statements `migrate` refuses (refused-statements.ts), as findings of rule
   * "refused". Default true; `plan` passes false, as it lists them among its problems already.
   */
  readonly refused?: boolean;
  /**
   * Which of `files` to report on; the others (earlier files of the same history) are read only for
   * what they build, so a later file's type change is judged against the column's real old type.
   * Default: every file.
   */
  readonly report?: (file: MigrationFile) => boolean;
}

export interface LintReport {
  /** Unsafe (or refused) statements: warnings, errors, approved. */
  readonly findings: readonly LintFinding[];
  /** What the checks could not decide, or read as an option: severity "note", never a failure. */
  readonly notes: readonly LintFinding[];
  /** True when any finding is an error. */
  readonly failed: boolean;
}

type Parser = Awaited<ReturnType<typeof loadParser>>;
type Parsed = { stmt: Node; stmt_location?: number; stmt_len?: number };

/**
 * `chosen` (files of `refs`, the folder's; both in version order) with every file of `refs` before the
 * last of them, and `report` naming the chosen: for lintFiles, so that the files linted are judged
 * against what the earlier ones built (a pending file's type change against the column's type as
 * the applied history made it). An earlier file that cannot be read as a migration is left out.
 */
export function withEarlierFiles(
  refs: readonly MigrationRef[],
  chosen: readonly MigrationFile[],
  read: (ref: MigrationRef) => MigrationFile = readMigration,
): { files: MigrationFile[]; report: (file: MigrationFile) => boolean } {
  const byName = new Map(chosen.map((f) => [f.filename, f]));
  const last = chosen[chosen.length - 1]?.order ?? -1n;
  const files: MigrationFile[] = [];
  for (const ref of refs) {
    if (ref.order > last) continue;
    const file = byName.get(ref.filename) ?? readOrSkip(read, ref);
    if (file) files.push(file);
  }
  return { files, report: (file) => byName.get(file.filename) === file };
}

function readOrSkip(read: (ref: MigrationRef) => MigrationFile, ref: MigrationRef): MigrationFile | undefined {
  try {
    return read(ref);
  } catch {
    return undefined;
  }
}

/** Lints the up sections of `files` (in version order), and finds refused statements in up and down sections. */
export async function lintFiles(files: readonly MigrationFile[], options: LintOptions): Promise<LintReport> {
  const pg = await loadParser();
  const strict = PROTECTED_ENVIRONMENTS.includes(options.environment);
  const history = new History();
  const findings: LintFinding[] = [];
  const notes: LintFinding[] = [];
  for (const file of files) {
    if (options.report && !options.report(file)) {
      observeFile(pg, file, history);
      continue;
    }
    for (const r of options.refused === false ? [] : await refusedStatements([file], "up")) {
      findings.push({
        rule: "refused",
        severity: "error",
        filename: file.filename,
        line: r.line,
        column: r.column,
        message: `${r.keyword} in the ${r.which} section: migrate refuses the file. ${r.advice}`,
        statement: "",
      });
    }
    for (const f of lintFile(pg, file, history, options, strict)) (f.severity === "note" ? notes : findings).push(f);
    findings.push(...unknownApprovals(file));
    notes.push(...isolationNotes(file));
  }
  return { findings, notes, failed: findings.some((f) => f.severity === "error") };
}

/** What an earlier file built, for the files linted after it (their old column types, CHECKs): no rule runs. */
function observeFile(pg: Parser, file: MigrationFile, history: History): void {
  let stmts: Parsed[];
  try {
    stmts = (pg.parseSync(file.up.sql) as unknown as { stmts?: Parsed[] }).stmts ?? [];
  } catch {
    return; // Not SQL the parser reads: it teaches nothing (lint reports it where it is linted).
  }
  const state = new FileState(file.up.options.transaction);
  for (const { stmt } of stmts) observe(stmt, state, history);
}

/** A section whose first statement sets its isolation level: the engine takes it as the option; say so. */
function isolationNotes(file: MigrationFile): LintFinding[] {
  return (["up", "down"] as const).flatMap((which) => {
    const section = which === "up" ? file.up : file.down;
    const level = section?.leadingIsolation;
    if (!section || !level || section.options.isolation) return [];
    const option = `isolation:${level.replace(" ", "-")}`;
    const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(section.sql)?.[0].length ?? 0;
    const { line, column } = positionOf(file.text, section.offset + lead);
    return [
      {
        rule: "isolation-statement",
        severity: "note" as const,
        filename: file.filename,
        line,
        column,
        message: `the ${which} section's first statement sets its isolation level: the engine takes it as ${option} and begins the transaction at ${level.toUpperCase()} (before any statement of its own); say so on the -- migrate:${which} line with ${option}, where it is seen at a glance (the statement may stay)`,
        statement: section.sql.slice(lead).split("\n")[0].trim(),
      },
    ];
  });
}

function lintFile(
  pg: Parser,
  file: MigrationFile,
  history: History,
  options: LintOptions,
  strict: boolean,
): LintFinding[] {
  const sql = file.up.sql;
  const at = (charOffset: number) => positionOf(file.text, file.up.offset + charOffset);
  let stmts: Parsed[];
  try {
    stmts = (pg.parseSync(sql) as unknown as { stmts?: Parsed[] }).stmts ?? [];
  } catch (cause) {
    const pos = (cause as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0;
    const { line, column } = at(byteToCharOffsets(sql)(pos));
    const message = (cause as Error).message;
    return [{ rule: "syntax", severity: "error", filename: file.filename, line, column, message, statement: "" }];
  }
  const toChar = byteToCharOffsets(sql);
  const state = new FileState(file.up.options.transaction);
  const fromLine = file.up.options.lockTimeout;
  let lockTimeout: LockTimeoutSetting = fromLine
    ? { value: fromLine, source: `lock_timeout:${fromLine} on the -- migrate:up line` }
    : { value: options.lockTimeout ?? "5s", source: "the run's default" };
  const findings: LintFinding[] = [];
  for (const { stmt, stmt_location = 0, stmt_len } of stmts) {
    const start = toChar(stmt_location);
    const raw = sql.slice(start, stmt_len ? toChar(stmt_location + stmt_len) : undefined);
    const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(raw)?.[0].length ?? 0;
    const place = at(start + lead);
    const statement = raw.slice(lead).split("\n")[0].trim();
    const set = lockTimeoutSetBy(stmt, state.transactional);
    if (set !== undefined)
      lockTimeout = {
        value: set,
        source: `${set === SERVER_DEFAULT ? "reset by" : "set by"} "${statement}" at line ${place.line}`,
      };
    const ctx: RuleContext = { file: state, history, newTables: state.newTables, lockTimeout };
    const report = (rule: Rule, hit: Hit, prefix = "") => {
      const approval = file.approvals.find((a) => a.rules.includes(rule.id));
      findings.push({
        rule: rule.id,
        // On staging and prod what the checks could not decide needs an approval like a finding (fail closed).
        severity: hit.note && !strict ? "note" : approval ? "approved" : rule.advisory || !strict ? "warning" : "error",
        filename: file.filename,
        ...place,
        message: prefix + hit.message,
        statement,
        table: hit.table,
        reason: approval?.reason,
      });
    };
    for (const rule of RULES) {
      const hit = rule.check(stmt, ctx);
      if (hit) report(rule, hit);
    }
    // A function or procedure this file defined and now calls: its body runs here.
    for (const name of calledFunctions(stmt, state)) {
      for (const inner of state.functions.get(name) ?? []) {
        for (const rule of RULES) {
          const hit = rule.check(inner, ctx);
          if (hit) report(rule, hit, `in ${name}(), defined in this file and called here: `);
        }
      }
    }
    observe(stmt, state, history);
    if (stmt.CreateFunctionStmt) {
      const f = stmt.CreateFunctionStmt;
      const names = (f.funcname ?? []).map((n: Node) => String(n.String?.sval ?? ""));
      state.functions.set(names[names.length - 1].toLowerCase(), functionBody(pg, f, raw.slice(lead)));
    }
  }
  return findings;
}

/** Names of functions this file defined that `stmt` executes (CALL, or a call in any expression). */
function calledFunctions(stmt: Node, state: FileState): string[] {
  if (state.functions.size === 0) return [];
  const names = new Set(executed(stmt, "FuncCall").map(funcName));
  // CALL's call is not wrapped in a FuncCall node.
  if (stmt.CallStmt?.funccall) names.add(funcName(stmt.CallStmt.funccall));
  return [...names].filter((n) => state.functions.has(n));
}

function unknownApprovals(file: MigrationFile): LintFinding[] {
  return file.approvals.flatMap((a) =>
    a.rules
      .filter((r) => !RULES.some((x) => x.id === r))
      .map((r) => ({
        rule: "unknown-approval",
        severity: "error" as const,
        filename: file.filename,
        line: a.line,
        column: 1,
        message: `approval names unknown rule "${r}" (known: ${RULES.map((x) => x.id).join(", ")})`,
        statement: "",
      })),
  );
}

/** `file:line:col: severity [rule] message`, one finding (or note) per line (plus the approval's reason). */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => {
      const head = `${f.filename}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`;
      return f.reason ? `${head}\n    approved: ${f.reason}` : head;
    })
    .join("\n");
}
