/**
 * What every rule is given and returns (rules.ts lists the rules), and the helpers they share.
 */
import type { LockTimeoutSetting } from "./locks";
import { type FileState, type History, tableName } from "./state";
import type { Node } from "./walk";

export interface RuleContext {
  readonly file: FileState;
  readonly history: History;
  /** `schema.table` names created earlier in this file (schema "public" when unqualified). */
  readonly newTables: ReadonlySet<string>;
  /** The lock_timeout in force for this statement, and where it was set. */
  readonly lockTimeout: LockTimeoutSetting;
}

/**
 * A finding's message (what, why, and the safe alternative) and the table it concerns. `note`: the
 * rule could not decide whether the statement is unsafe (it could not see what it needs, such as a
 * column's old type): the message says so, and it is reported as a note, not as a finding.
 */
export type Hit = { readonly message: string; readonly table: string; readonly note?: boolean };

export interface Rule {
  readonly id: string;
  /** One line for `precog-db lint --rules` and the docs. */
  readonly summary: string;
  /** Advisory: a warning in every environment, never stops a run. */
  readonly advisory?: boolean;
  readonly check: (stmt: Node, ctx: RuleContext) => Hit | undefined;
}

export function isNew(rv: Node | undefined, ctx: RuleContext): boolean {
  return rv !== undefined && ctx.newTables.has(tableName(rv));
}

export function alterCmds(stmt: Node): Node[] {
  const a = stmt.AlterTableStmt;
  if (!a || (a.objtype && a.objtype !== "OBJECT_TABLE")) return [];
  return (a.cmds ?? []).map((c: Node) => c.AlterTableCmd).filter(Boolean);
}

/** The ALTER TABLE's relation, when the table existed before this file. */
export function existingAltered(stmt: Node, ctx: RuleContext): string | undefined {
  const rel = stmt.AlterTableStmt?.relation;
  return rel && !isNew(rel, ctx) ? tableName(rel) : undefined;
}

/** Advice shared by the rules that destroy data. */
export const RETIRE =
  "first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)";
