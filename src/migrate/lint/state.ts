/**
 * What the lint knows while it reads files in version order. `FileState` is one file's: objects it
 * created (locking or rewriting them is harmless, nobody uses them yet), constraints it added or
 * validated, tables it locked inside its transaction, functions it defined. `History` spans every
 * file of the run: column types and CHECK constraints as the files built them, so a later file's
 * type change or SET NOT NULL can be judged against them.
 */
import type { Node } from "./walk";

export function tableName(rv: Node | undefined): string {
  if (!rv) return "?";
  return `${rv.schemaname ?? "public"}.${rv.relname}`;
}

/** `a`, `s.a` from a list of String nodes (type, domain and function names), schema "public" when unqualified. */
export function qualified(names: Node[] | undefined): string {
  const parts = (names ?? []).map((n: Node) => String(n.String?.sval ?? "?"));
  return parts.length === 1 ? `public.${parts[0]}` : parts.join(".");
}

/** A column's type as the lint compares it: base name (pg_catalog dropped) and modifiers. */
export interface ColumnType {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

export function columnType(typeName: Node | undefined): ColumnType | undefined {
  if (!typeName?.names) return undefined;
  const parts = typeName.names.map((n: Node) => String(n.String?.sval ?? ""));
  const mods = (typeName.typmods ?? []).map((m: Node) => Number(m.A_Const?.ival?.ival ?? 0));
  return { name: parts[parts.length - 1].toLowerCase(), mods, array: Boolean(typeName.arrayBounds) };
}

export function showType(t: ColumnType): string {
  return `${t.name}${t.mods.length ? `(${t.mods.join(",")})` : ""}${t.array ? "[]" : ""}`;
}

/** A CHECK constraint: the column it proves NOT NULL (`CHECK (col IS NOT NULL)`), and whether it is validated. */
export interface CheckInfo {
  readonly notNullColumn?: string;
  /** False for a VALIDATE of a constraint the lint never saw added: its definition is unknown. */
  readonly known: boolean;
  valid: boolean;
}

/** Everything the files of one run build, in version order. */
export class History {
  /** table -> column -> type. */
  readonly columns = new Map<string, Map<string, ColumnType | undefined>>();
  /** `table constraint` -> what the CHECK proves. */
  readonly checks = new Map<string, CheckInfo>();

  setColumn(table: string, column: string, type: ColumnType | undefined): void {
    const cols = this.columns.get(table) ?? new Map<string, ColumnType | undefined>();
    this.columns.set(table, cols);
    cols.set(column, type);
  }

  /** The column's type as the files built it; undefined when they did not show it. */
  typeOf(table: string, column: string): ColumnType | undefined {
    return this.columns.get(table)?.get(column);
  }
}

/** One file's own objects and locks. */
export class FileState {
  readonly newTables = new Set<string>();
  readonly newIndexes = new Set<string>();
  readonly newSequences = new Set<string>();
  readonly newDomains = new Set<string>();
  /** `table constraint` added NOT VALID in this file. */
  readonly addedNotValid = new Set<string>();
  /** Tables this file's transaction has locked against writes so far (transactional sections only). */
  readonly writeLocked = new Map<string, string>();
  /** Functions and procedures defined in this file: name -> the statements their body runs. */
  readonly functions = new Map<string, readonly Node[]>();

  constructor(readonly transactional: boolean) {}
}

/** `CHECK (col IS NOT NULL)` (alone, or as one side of an AND): the column, else undefined. */
export function notNullColumnOf(expr: Node | undefined): string | undefined {
  const t = expr?.NullTest;
  if (t?.nulltesttype === "IS_NOT_NULL") {
    const f = t.arg?.ColumnRef?.fields;
    return f?.length === 1 ? f[0].String?.sval : undefined;
  }
  return undefined;
}
