/**
 * The table-level lock each statement kind takes, from PostgreSQL's documentation ("Explicit
 * Locking", table 13.2, and each command's page), and whether it stops the application's traffic:
 * reads take ACCESS SHARE and writes ROW EXCLUSIVE, so a lock from SHARE up (which conflicts with
 * ROW EXCLUSIVE) blocks writes, and ACCESS EXCLUSIVE blocks reads too. A request waits in the
 * lock queue, and every later request that conflicts with it waits behind it: so a blocking lock
 * requested with lock_timeout off can stop all traffic on the table for as long as the slowest
 * query ahead of it runs. `missing-lock-timeout` (rules.ts) uses this table.
 */
import { type FileState, tableName } from "./state";
import { constText, executed, funcName, hasOption, type Node, stringConst } from "./walk";

/** PostgreSQL's lock modes, weakest first: LockStmt's `mode` is the index + 1. */
export const LOCK_MODES = [
  "ACCESS SHARE",
  "ROW SHARE",
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "EXCLUSIVE",
  "ACCESS EXCLUSIVE",
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export interface TableLock {
  /** `schema.table`, or a description where the statement does not name it ("the tables using domain d"). */
  readonly table: string;
  readonly mode: LockMode;
  /** The statement, as messages name it. */
  readonly what: string;
}

/** True for a lock that conflicts with ROW EXCLUSIVE, so it waits for and blocks the application's writes. */
export function blocksWrites(mode: LockMode): boolean {
  return LOCK_MODES.indexOf(mode) >= LOCK_MODES.indexOf("SHARE");
}

const strongest = (modes: LockMode[]): LockMode =>
  modes.reduce((a, b) => (LOCK_MODES.indexOf(b) > LOCK_MODES.indexOf(a) ? b : a), "ACCESS SHARE");

/** ALTER TABLE subcommands below ACCESS EXCLUSIVE (ALTER TABLE's page, "Notes" and each form). */
const ALTER_LOCK: Readonly<Record<string, LockMode>> = {
  AT_SetStatistics: "SHARE UPDATE EXCLUSIVE",
  AT_ClusterOn: "SHARE UPDATE EXCLUSIVE",
  AT_DropCluster: "SHARE UPDATE EXCLUSIVE",
  AT_SetRelOptions: "SHARE UPDATE EXCLUSIVE",
  AT_ResetRelOptions: "SHARE UPDATE EXCLUSIVE",
  AT_ValidateConstraint: "SHARE UPDATE EXCLUSIVE",
  AT_AttachPartition: "SHARE UPDATE EXCLUSIVE",
  AT_DetachPartitionFinalize: "SHARE UPDATE EXCLUSIVE",
  AT_EnableTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableAlwaysTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableReplicaTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableTrigAll: "SHARE ROW EXCLUSIVE",
  AT_EnableTrigUser: "SHARE ROW EXCLUSIVE",
  AT_DisableTrig: "SHARE ROW EXCLUSIVE",
  AT_DisableTrigAll: "SHARE ROW EXCLUSIVE",
  AT_DisableTrigUser: "SHARE ROW EXCLUSIVE",
};

function alterCmdLock(cmd: Node): LockMode {
  if (cmd.subtype === "AT_AddConstraint" && cmd.def?.Constraint?.contype === "CONSTR_FOREIGN")
    return "SHARE ROW EXCLUSIVE";
  if (cmd.subtype === "AT_DetachPartition" && cmd.def?.PartitionCmd?.concurrent) return "SHARE UPDATE EXCLUSIVE";
  return ALTER_LOCK[cmd.subtype] ?? "ACCESS EXCLUSIVE";
}

/** Tables a foreign key references, from a constraint list: each gets SHARE ROW EXCLUSIVE. */
function referenced(constraints: Node[] | undefined, what: string): TableLock[] {
  return (constraints ?? [])
    .map((c: Node) => c.Constraint)
    .filter((c: Node | undefined) => c?.contype === "CONSTR_FOREIGN" && c.pktable)
    .map((c: Node) => ({ table: tableName(c.pktable), mode: "SHARE ROW EXCLUSIVE" as const, what }));
}

const OBJECT_TABLES = ["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_SEQUENCE"];

/** Objects named by a DROP TRIGGER / RULE / POLICY: `[schema.]table.name`, the table being what is locked. */
function dropOnTable(o: Node): string {
  const parts = (o.List?.items ?? []).map((i: Node) => String(i.String?.sval));
  const t = parts.slice(0, -1);
  return t.length === 1 ? `public.${t[0]}` : t.join(".");
}

const dropName = (o: Node): string => {
  const parts = (o.List?.items ?? []).map((i: Node) => String(i.String?.sval));
  return parts.length === 1 ? `public.${parts[0]}` : parts.join(".");
};

/** Every table-level lock `stmt` takes on a table this file did not create. */
export function tableLocks(stmt: Node, file: FileState): TableLock[] {
  const all = locksOf(stmt);
  return all.filter((l) => !file.newTables.has(l.table) && !file.newIndexes.has(l.table));
}

function locksOf(s: Node): TableLock[] {
  if (s.AlterTableStmt) {
    const a = s.AlterTableStmt;
    if (a.objtype === "OBJECT_TYPE") return [];
    const cmds: Node[] = (a.cmds ?? []).map((c: Node) => c.AlterTableCmd).filter(Boolean);
    const what = `ALTER ${String(a.objtype ?? "OBJECT_TABLE").replace("OBJECT_", "")} ${tableName(a.relation)}`;
    const locks: TableLock[] = [{ table: tableName(a.relation), mode: strongest(cmds.map(alterCmdLock)), what }];
    for (const c of cmds) {
      if (c.subtype === "AT_AddConstraint") locks.push(...referenced([c.def], what));
      if (c.subtype === "AT_AddColumn") locks.push(...referenced(c.def?.ColumnDef?.constraints, what));
      if (c.subtype === "AT_AttachPartition")
        locks.push({ table: tableName(c.def?.PartitionCmd?.name), mode: "ACCESS EXCLUSIVE", what });
    }
    return locks;
  }
  if (s.IndexStmt) {
    const i = s.IndexStmt;
    const mode = i.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE";
    return [{ table: tableName(i.relation), mode, what: `CREATE INDEX on ${tableName(i.relation)}` }];
  }
  if (s.DropStmt) {
    const d = s.DropStmt;
    const kind = String(d.removeType).replace("OBJECT_", "");
    if (OBJECT_TABLES.includes(d.removeType))
      return (d.objects ?? []).map((o: Node) => ({
        table: dropName(o),
        mode: "ACCESS EXCLUSIVE",
        what: `DROP ${kind} ${dropName(o)}`,
      }));
    if (d.removeType === "OBJECT_INDEX")
      return (d.objects ?? []).map((o: Node) => ({
        table: dropName(o),
        mode: d.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE",
        what: `DROP INDEX ${dropName(o)} (and its table)`,
      }));
    if (["OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_POLICY"].includes(d.removeType))
      return (d.objects ?? []).map((o: Node) => ({
        table: dropOnTable(o),
        mode: "ACCESS EXCLUSIVE",
        what: `DROP ${kind} on ${dropOnTable(o)}`,
      }));
    return [];
  }
  if (s.TruncateStmt)
    return (s.TruncateStmt.relations ?? []).map((r: Node) => ({
      table: tableName(r.RangeVar),
      mode: "ACCESS EXCLUSIVE",
      what: `TRUNCATE ${tableName(r.RangeVar)}`,
    }));
  if (s.LockStmt) {
    const mode = LOCK_MODES[(s.LockStmt.mode ?? 8) - 1] ?? "ACCESS EXCLUSIVE";
    return (s.LockStmt.relations ?? []).map((r: Node) => ({
      table: tableName(r.RangeVar),
      mode,
      what: `LOCK TABLE ${tableName(r.RangeVar)} IN ${mode} MODE`,
    }));
  }
  if (s.CreateTrigStmt) {
    const t = tableName(s.CreateTrigStmt.relation);
    return [{ table: t, mode: "SHARE ROW EXCLUSIVE", what: `CREATE TRIGGER on ${t}` }];
  }
  const on = (rv: Node | undefined, mode: LockMode, what: string): TableLock[] => [
    { table: tableName(rv), mode, what: `${what} ${tableName(rv)}` },
  ];
  if (s.RuleStmt) return on(s.RuleStmt.relation, "ACCESS EXCLUSIVE", "CREATE RULE on");
  if (s.CreatePolicyStmt) return on(s.CreatePolicyStmt.table, "ACCESS EXCLUSIVE", "CREATE POLICY on");
  if (s.AlterPolicyStmt) return on(s.AlterPolicyStmt.table, "ACCESS EXCLUSIVE", "ALTER POLICY on");
  if (s.RenameStmt?.relation) {
    const mode = s.RenameStmt.renameType === "OBJECT_INDEX" ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    return on(s.RenameStmt.relation, mode, "RENAME on");
  }
  if (s.AlterObjectSchemaStmt?.relation)
    return on(s.AlterObjectSchemaStmt.relation, "ACCESS EXCLUSIVE", "SET SCHEMA of");
  if (s.VacuumStmt) {
    const mode = hasOption(s.VacuumStmt.options, "full") ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE";
    const word = s.VacuumStmt.is_vacuumcmd ? "VACUUM" : "ANALYZE";
    return (s.VacuumStmt.rels ?? []).flatMap((r: Node) => on(r.VacuumRelation?.relation, mode, word));
  }
  if (s.ClusterStmt?.relation) return on(s.ClusterStmt.relation, "ACCESS EXCLUSIVE", "CLUSTER");
  if (s.ReindexStmt?.relation) {
    const conc = hasOption(s.ReindexStmt.params, "concurrently");
    return on(s.ReindexStmt.relation, conc ? "SHARE UPDATE EXCLUSIVE" : "SHARE", "REINDEX");
  }
  if (s.RefreshMatViewStmt)
    return on(
      s.RefreshMatViewStmt.relation,
      s.RefreshMatViewStmt.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE",
      "REFRESH MATERIALIZED VIEW",
    );
  if (s.AlterSeqStmt) return on(s.AlterSeqStmt.sequence, "SHARE ROW EXCLUSIVE", "ALTER SEQUENCE");
  if (s.ViewStmt?.replace) return on(s.ViewStmt.view, "ACCESS EXCLUSIVE", "CREATE OR REPLACE VIEW");
  if (s.CreateStmt) {
    const c = s.CreateStmt;
    const what = `CREATE TABLE ${tableName(c.relation)}`;
    const locks = [
      ...referenced(c.tableElts, what),
      ...(c.tableElts ?? []).flatMap((e: Node) => referenced(e.ColumnDef?.constraints, what)),
    ];
    for (const p of c.partbound ? (c.inhRelations ?? []) : [])
      locks.push({ table: tableName(p.RangeVar), mode: "ACCESS EXCLUSIVE", what: `${what} PARTITION OF` });
    return locks;
  }
  if (s.AlterDomainStmt?.subtype === "C" || s.AlterDomainStmt?.subtype === "N") {
    return [
      {
        table: `every table with a column of domain ${(s.AlterDomainStmt.typeName ?? []).map((n: Node) => n.String?.sval).join(".")}`,
        mode: "SHARE",
        what: "ALTER DOMAIN",
      },
    ];
  }
  return [];
}

/** How a file last set lock_timeout: the value (PostgreSQL duration text) and where it came from. */
export interface LockTimeoutSetting {
  readonly value: string;
  /** For messages: "lock_timeout:0 on the -- migrate:up line", "SET lock_timeout = 0 at line 3". */
  readonly source: string;
}

/** The server's default: what RESET and DEFAULT go back to (0, unless the server, database or role sets one). */
export const SERVER_DEFAULT = "server-default";

/**
 * The lock_timeout a statement sets: `SET [LOCAL|SESSION] lock_timeout`, `RESET lock_timeout`,
 * `RESET ALL`, `SET lock_timeout TO DEFAULT`, and `set_config('lock_timeout', ...)` anywhere in
 * what it executes. In a transaction:false section a LOCAL setting ends with its own statement.
 */
export function lockTimeoutSetBy(stmt: Node, transactional: boolean): string | undefined {
  const v = stmt.VariableSetStmt;
  if (v) {
    if (v.kind === "VAR_RESET_ALL") return SERVER_DEFAULT;
    if (v.name !== "lock_timeout") return undefined;
    if (v.is_local && !transactional) return undefined;
    if (v.kind === "VAR_SET_DEFAULT" || v.kind === "VAR_RESET") return SERVER_DEFAULT;
    const c = v.args?.[0]?.A_Const;
    if (!c) return undefined;
    if (c.ival) return String(c.ival.ival ?? 0);
    if (c.fval) return String(c.fval.fval);
    if (c.sval) return String(c.sval.sval ?? "");
    return undefined;
  }
  let set: string | undefined;
  for (const call of executed(stmt, "FuncCall")) {
    const args: Node[] = call.args ?? [];
    if (funcName(call) !== "set_config" || stringConst(args[0])?.toLowerCase() !== "lock_timeout") continue;
    const local = args[2]?.A_Const?.boolval?.boolval === true || stringConst(args[2]) === "true";
    if (local && !transactional) continue;
    set = constText(args[1]) ?? set;
  }
  return set;
}

/** True for "0", "0ms", "0s" and the like, and for the server's default: PostgreSQL's "no timeout". */
export function isZeroDuration(v: string): boolean {
  return v === SERVER_DEFAULT || /^0+(\.0*)?\s*(us|ms|s|min|h|d)?$/.test(v.trim());
}
