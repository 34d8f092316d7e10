/**
 * The migration linter: parses each up section with PostgreSQL's parser and runs the rules.
 * Severity follows the environment: findings are errors on staging and prod unless the file
 * approves the rule with a reason (`-- lint:approve <rule>: <reason>`), and warnings on dev and
 * test. A file the parser rejects is always an error.
 */
import { type Environment, PROTECTED_ENVIRONMENTS } from "../../env/environment";
import { type MigrationFile, positionOf } from "../files";
import { byteToCharOffsets, loadParser } from "../parser";
import type { Node } from "./rule";
import { lockTimeoutSetBy, RULES, tableName } from "./rules";

export { RULES } from "./rules";

export interface LintFinding {
  readonly rule: string;
  /** "approved" findings carry the approval's reason and never stop a run. */
  readonly severity: "error" | "warning" | "approved";
  readonly filename: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** The statement's first line, for context. */
  readonly statement: string;
  readonly reason?: string;
}

export interface LintOptions {
  readonly environment: Environment;
  /** The run's default lock_timeout, used where a file sets none. Default "5s". */
  readonly lockTimeout?: string;
}

export interface LintReport {
  readonly findings: readonly LintFinding[];
  /** True when any finding is an error. */
  readonly failed: boolean;
}

/** Lints the up sections of `files`. */
export async function lintFiles(files: readonly MigrationFile[], options: LintOptions): Promise<LintReport> {
  const pg = await loadParser();
  const strict = PROTECTED_ENVIRONMENTS.includes(options.environment);
  const findings: LintFinding[] = [];
  for (const file of files) {
    const sql = file.up.sql;
    const at = (charOffset: number) => positionOf(file.text, file.up.offset + charOffset);
    let stmts: { stmt: Node; stmt_location?: number; stmt_len?: number }[];
    try {
      stmts = (pg.parseSync(sql) as unknown as { stmts?: typeof stmts }).stmts ?? [];
    } catch (cause) {
      const pos = (cause as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0;
      const { line, column } = at(byteToCharOffsets(sql)(pos));
      findings.push({
        rule: "syntax",
        severity: "error",
        filename: file.filename,
        line,
        column,
        message: (cause as Error).message,
        statement: "",
      });
      continue;
    }
    const toChar = byteToCharOffsets(sql);
    const newTables = new Set<string>();
    let lockTimeout = file.up.options.lockTimeout ?? options.lockTimeout ?? "5s";
    for (const { stmt, stmt_location = 0, stmt_len } of stmts) {
      const start = toChar(stmt_location);
      const raw = sql.slice(start, stmt_len ? toChar(stmt_location + stmt_len) : undefined);
      const lead = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/.exec(raw)?.[0].length ?? 0;
      const set = lockTimeoutSetBy(stmt);
      if (set !== undefined) lockTimeout = set === "default" ? (options.lockTimeout ?? "5s") : set;
      for (const rule of RULES) {
        const message = rule.check(stmt, { newTables, lockTimeout });
        if (!message) continue;
        const approval = file.approvals.find((a) => a.rules.includes(rule.id));
        const severity = approval ? "approved" : strict ? "error" : "warning";
        findings.push({
          rule: rule.id,
          severity,
          filename: file.filename,
          ...at(start + lead),
          message,
          statement: raw.slice(lead).split("\n")[0].trim(),
          reason: approval?.reason,
        });
      }
      const created = stmt.CreateStmt?.relation ?? stmt.CreateTableAsStmt?.into?.rel;
      if (created) newTables.add(tableName(created));
    }
    for (const a of file.approvals) {
      for (const r of a.rules) {
        if (!RULES.some((x) => x.id === r)) {
          findings.push({
            rule: "unknown-approval",
            severity: "error",
            filename: file.filename,
            line: a.line,
            column: 1,
            message: `approval names unknown rule "${r}" (known: ${RULES.map((x) => x.id).join(", ")})`,
            statement: "",
          });
        }
      }
    }
  }
  return { findings, failed: findings.some((f) => f.severity === "error") };
}

/** `file:line:col: severity [rule] message`, one finding per line (plus the approval's reason). */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => {
      const head = `${f.filename}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`;
      return f.reason ? `${head}\n    approved: ${f.reason}` : head;
    })
    .join("\n");
}
