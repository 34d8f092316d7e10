/**
 * What a statement teaches the lint once its rules have run (state.ts holds it): the objects it
 * creates, the column types and CHECK constraints it builds or changes, the constraints it adds
 * NOT VALID or validates, and the tables it locks against writes inside the file's transaction.
 */
import { blocksWrites, tableLocks } from "./locks";
import { columnType, type FileState, type History, notNullColumnOf, qualified, tableName } from "./state";
import type { Node } from "./walk";

const SERIAL = /^(small|big)?serial[248]?$/;

export function observe(s: Node, file: FileState, history: History): void {
  if (file.transactional)
    for (const l of tableLocks(s, file))
      if (blocksWrites(l.mode) && !file.writeLocked.has(l.table)) file.writeLocked.set(l.table, l.mode);

  if (s.CreateStmt) createTable(s.CreateStmt, file, history);
  const rel = s.CreateTableAsStmt?.into?.rel ?? (s.ViewStmt && !s.ViewStmt.replace ? s.ViewStmt.view : undefined);
  if (rel) file.newTables.add(tableName(rel));
  if (s.IndexStmt?.idxname)
    file.newIndexes.add(`${s.IndexStmt.relation?.schemaname ?? "public"}.${s.IndexStmt.idxname}`);
  if (s.CreateSeqStmt) file.newSequences.add(tableName(s.CreateSeqStmt.sequence));
  if (s.CreateDomainStmt) file.newDomains.add(qualified(s.CreateDomainStmt.domainname));
  if (s.AlterTableStmt && (s.AlterTableStmt.objtype ?? "OBJECT_TABLE") === "OBJECT_TABLE")
    alterTable(s.AlterTableStmt, file, history);
  const r = s.RenameStmt;
  if (r?.renameType === "OBJECT_COLUMN" && r.relation) {
    const table = tableName(r.relation);
    history.setColumn(table, r.newname, history.typeOf(table, r.subname));
    history.columns.get(table)?.delete(r.subname);
  }
  if (s.DropStmt?.removeType === "OBJECT_TABLE")
    for (const o of s.DropStmt.objects ?? []) history.columns.delete(qualified(o.List?.items));
}

function createTable(c: Node, file: FileState, history: History): void {
  const table = tableName(c.relation);
  file.newTables.add(table);
  history.columns.set(table, new Map());
  for (const e of c.tableElts ?? []) {
    const col = e.ColumnDef;
    if (col) {
      const type = columnType(col.typeName);
      history.setColumn(table, col.colname, type);
      const identity = (col.constraints ?? []).some((k: Node) => k.Constraint?.contype === "CONSTR_IDENTITY");
      if ((type && SERIAL.test(type.name)) || identity)
        file.newSequences.add(`${c.relation.schemaname ?? "public"}.${c.relation.relname}_${col.colname}_seq`);
      for (const k of col.constraints ?? []) addCheck(table, k.Constraint, history);
    }
    addCheck(table, e.Constraint, history);
  }
}

function addCheck(table: string, con: Node | undefined, history: History): void {
  if (con?.contype !== "CONSTR_CHECK" || !con.conname) return;
  history.checks.set(`${table} ${con.conname}`, {
    notNullColumn: notNullColumnOf(con.raw_expr),
    known: true,
    valid: !con.skip_validation,
  });
}

function alterTable(a: Node, file: FileState, history: History): void {
  const table = tableName(a.relation);
  for (const { AlterTableCmd: c } of a.cmds ?? []) {
    if (!c) continue;
    if (c.subtype === "AT_AddColumn")
      history.setColumn(table, c.def.ColumnDef.colname, columnType(c.def.ColumnDef.typeName));
    if (c.subtype === "AT_AlterColumnType") history.setColumn(table, c.name, columnType(c.def?.ColumnDef?.typeName));
    if (c.subtype === "AT_DropColumn") history.columns.get(table)?.delete(c.name);
    if (c.subtype === "AT_AddConstraint") {
      const con = c.def?.Constraint;
      addCheck(table, con, history);
      if (con?.skip_validation && con.conname) file.addedNotValid.add(`${table} ${con.conname}`);
    }
    if (c.subtype === "AT_ValidateConstraint") {
      const known = history.checks.get(`${table} ${c.name}`);
      if (known) known.valid = true;
      else history.checks.set(`${table} ${c.name}`, { known: false, valid: true });
    }
    if (c.subtype === "AT_DropConstraint") history.checks.delete(`${table} ${c.name}`);
  }
}
