/**
 * Migration files on disk: listing the folder by NAME only (the no-op path never opens a file),
 * and parsing one file's dbmate-style sections, options and lint approvals.
 *
 * Format (dbmate's, so people coming from dbmate feel at home):
 *
 *   -- lint:approve drop-column: the column has been unused since release 42
 *   -- migrate:up transaction:false lock_timeout:2s statement_timeout:30min
 *   (or, for a transactional section, isolation:repeatable-read / isolation:serializable)
 *   CREATE INDEX CONCURRENTLY ...;
 *   -- migrate:down transaction:false
 *   DROP INDEX CONCURRENTLY ...;
 */
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { durationProblem } from "./duration";
import { sha256 } from "./hash";
import { lexStatements } from "./sql-lexer";
import { oldestFirst, type Version, versionKey } from "./versions";

/** A migration as its file name describes it: nothing read from inside the file. */
export interface MigrationRef {
  /** Numeric version as written in the file name ("0003", "20250101120000"). */
  readonly version: string;
  /** The version as a number, for ordering and for the history table's bigint key. */
  readonly order: bigint;
  /** The part after the first underscore, without ".sql". */
  readonly name: string;
  readonly filename: string;
  readonly path: string;
}

/** Options given on a `-- migrate:up` / `-- migrate:down` line. */
export interface SectionOptions {
  /** false for statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY). */
  readonly transaction: boolean;
  /** PostgreSQL duration text such as "5s", or undefined to use the run's default. */
  readonly lockTimeout?: string;
  readonly statementTimeout?: string;
  /**
   * The isolation level the engine begins this section's transaction at (`isolation:repeatable-read`
   * or `isolation:serializable` on the line); undefined: the server's default, read committed.
   */
  readonly isolation?: Isolation;
}

/** Isolation levels a section may ask for, as PostgreSQL spells them (lower case). */
export type Isolation = "repeatable read" | "serializable";
const ISOLATION: Readonly<Record<string, Isolation>> = {
  "repeatable-read": "repeatable read",
  serializable: "serializable",
};

export interface Section {
  readonly sql: string;
  /** Offset of the section's first character in the file, to turn error positions into lines. */
  readonly offset: number;
  readonly options: SectionOptions;
  /**
   * The level a transactional section's first statement sets (`SET TRANSACTION ISOLATION LEVEL
   * REPEATABLE READ | SERIALIZABLE`): what the `isolation:` option does, so the engine takes it as
   * that option (see `isolationOf`). Undefined for any other first statement.
   */
  readonly leadingIsolation?: Isolation;
}

/**
 * The level the engine begins a section's transaction at: the line's `isolation:` option, else the
 * level its first statement sets. A `SET TRANSACTION ISOLATION LEVEL` as the first statement of a
 * transaction is exactly what the option does (the engine's BEGIN takes it, before any statement of
 * its own); anywhere else the statement is refused (refused-statements.ts).
 */
export function isolationOf(section: Section): Isolation | undefined {
  return section.options.isolation ?? section.leadingIsolation;
}

/** `SET [LOCAL | SESSION] TRANSACTION ISOLATION LEVEL <a level the option offers>`, as the lexer leaves its code. */
const SET_ISOLATION =
  /^set\s+(?:local\s+|session\s+)?transaction\s+isolation\s+level\s+(repeatable\s+read|serializable)$/i;

/** The level a transactional section's first statement sets, if it is `SET TRANSACTION ISOLATION LEVEL ...`. */
function leadingIsolation(sql: string, options: SectionOptions): Isolation | undefined {
  // A text search first: nearly every section never names it, and needs no lexing.
  if (!options.transaction || !/\btransaction\s+isolation\b/i.test(sql)) return undefined;
  const first = lexStatements(sql)?.[0];
  const level = first && SET_ISOLATION.exec(first.code)?.[1].replace(/\s+/g, " ").toLowerCase();
  return level === "repeatable read" || level === "serializable" ? level : undefined;
}

/** A lint approval line: `-- lint:approve <rule>[,<rule>]: <reason>`. */
export interface Approval {
  readonly rules: readonly string[];
  readonly reason: string;
  readonly line: number;
}

export interface MigrationFile extends MigrationRef {
  readonly text: string;
  readonly up: Section;
  /** Absent when the file has no `-- migrate:down` section. */
  readonly down?: Section;
  readonly approvals: readonly Approval[];
  /** sha256 (hex) of the up section, exactly as between its marker line and the down marker. */
  readonly checksum: string;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/** The version (as written) and name a migration's file name carries; undefined for another name. */
export function migrationName(filename: string): { version: string; name: string } | undefined {
  const m = FILE_NAME.exec(filename);
  return m ? { version: m[1], name: m[2] } : undefined;
}
/** The largest version: the history table keeps versions as a bigint. */
export const MAX_VERSION = 9223372036854775807n;
const MARKER = /^--\s*migrate:(up|down)\b([^\n]*)$/gm;
const APPROVAL = /^--\s*lint:approve\b([^\n]*)$/gm;
/** A marker with something before it on its line: not a marker, but surely meant as one. */
const INDENTED_UP = /^([ \t]+)--\s*migrate:up\b/m;

/**
 * The problem of a file without an up marker. An indented one is named: the marker must start its
 * line (accepting it would move the sections of files whose SQL holds such a line, and so their checksums).
 */
function noUpLine(text: string): string {
  const m = INDENTED_UP.exec(text);
  if (!m) return "no `-- migrate:up` line";
  return `no \`-- migrate:up\` line: line ${positionOf(text, m.index).line} has one indented; a marker must start at the beginning of its line, so remove the ${m[1].length} character(s) before "--"`;
}

/**
 * Lists `<version>_<name>.sql` files in version order. Other files (README.md) are ignored; a .sql
 * file with another name, or two files with the same version, is an error naming them.
 */
export function listMigrations(dir: string): MigrationRef[] {
  let entries: Dirent[];
  try {
    // With their types (from the same directory read): a folder named *.sql is refused here.
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (cause) {
    throw new Error(`Cannot read the migrations folder ${dir}: ${(cause as Error).message}. Pass --dir <folder>.`, {
      cause,
    });
  }
  const refs: MigrationRef[] = [];
  const problems: string[] = [];
  const prefix = join(dir, "/");
  for (const entry of entries) {
    const filename = entry.name;
    if (!filename.endsWith(".sql")) continue;
    const notFile = notAFile(entry, prefix + filename);
    if (notFile) {
      problems.push(
        `${filename}: ${notFile}; a migration is a file: move it out of the folder, or rename it so it does not end in .sql`,
      );
      continue;
    }
    const named = migrationName(filename);
    if (!named) {
      problems.push(`${filename}: not named <version>_<name>.sql (digits, underscore, then letters, digits, _ or -)`);
      continue;
    }
    const order = BigInt(named.version);
    if (order > MAX_VERSION) {
      problems.push(
        `${filename}: version ${named.version} is too large: the history keeps versions as a bigint, at most ${MAX_VERSION}`,
      );
      continue;
    }
    // A literal, not a spread of `named`: a spread costs ten times as much, felt at thousands of files.
    refs.push({ version: named.version, name: named.name, order, filename, path: prefix + filename });
  }
  // Problems in name order, files in version order: the folder lists them in whatever order its file system keeps.
  problems.sort();
  const sorted = oldestFirst(refs, (r) => r.order);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].order === sorted[i - 1].order) {
      problems.push(`${sorted[i - 1].filename} and ${sorted[i].filename} have the same version: renumber one of them`);
    }
  }
  if (problems.length > 0) throw new Error(`Bad migration file names in ${dir}:\n  ${problems.join("\n  ")}`);
  return sorted;
}

/** What a .sql entry that is not a file (or a link to one) is, or undefined for a file. */
function notAFile(entry: Dirent, path: string): string | undefined {
  if (entry.isFile()) return undefined;
  if (entry.isDirectory()) return "is a folder";
  if (!entry.isSymbolicLink()) return "is not a regular file";
  const target = statSync(path, { throwIfNoEntry: false });
  if (!target) return "is a symbolic link to nothing";
  return target.isFile()
    ? undefined
    : target.isDirectory()
      ? "is a link to a folder"
      : "is a link to something not a file";
}

/**
 * The file name of an applied migration, for messages: its file's when the folder has its version,
 * else rebuilt as its file was named ("0001_x.sql", never "1_x": the history keeps only the number),
 * padded to the width every file in the folder shares.
 */
export function appliedFileName(version: Version, name: string, refs: readonly MigrationRef[]): string {
  const key = versionKey(version);
  const ref = refs.find((r) => versionKey(r.order) === key);
  if (ref) return ref.filename;
  const widths = new Set(refs.map((r) => r.version.length));
  const width = widths.size === 1 ? [...widths][0] : 0;
  return `${key.padStart(width, "0")}_${name}.sql`;
}

/** Reads and parses one migration file; a file that cannot be read is an error naming it. */
export function readMigration(ref: MigrationRef): MigrationFile {
  let text: string;
  try {
    text = readFileSync(ref.path, "utf8");
  } catch (cause) {
    throw new Error(
      `${ref.filename}: cannot be read (${(cause as Error).message}). Check the file and its permissions.`,
      {
        cause,
      },
    );
  }
  return parseMigration(ref, text);
}

/** Parses a migration's text; every problem is reported together, with file and line. */
export function parseMigration(ref: MigrationRef, raw: string): MigrationFile {
  // A UTF-8 byte order mark (some Windows editors write one) is not part of the first line.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const problems: string[] = [];
  const markers: { kind: "up" | "down"; start: number; end: number; opts: string }[] = [];
  for (const m of text.matchAll(MARKER)) {
    markers.push({ kind: m[1] as "up" | "down", start: m.index, end: m.index + m[0].length, opts: m[2] });
  }
  const ups = markers.filter((m) => m.kind === "up");
  const downs = markers.filter((m) => m.kind === "down");
  if (ups.length !== 1) problems.push(ups.length === 0 ? noUpLine(text) : "more than one `-- migrate:up` line");
  if (downs.length > 1) problems.push("more than one `-- migrate:down` line");

  const section = (i: number): Section => {
    const mk = markers[i];
    const offset = Math.min(text.length, mk.end + 1);
    const stop = i + 1 < markers.length ? markers[i + 1].start : text.length;
    const options = parseOptions(mk.opts, positionOf(text, mk.start).line, problems);
    const sql = text.slice(offset, Math.max(offset, stop));
    const leading = leadingIsolation(sql, options);
    return { sql, offset, options, ...(leading ? { leadingIsolation: leading } : {}) };
  };
  const upIndex = markers.findIndex((m) => m.kind === "up");
  const downIndex = markers.findIndex((m) => m.kind === "down");
  const up = upIndex >= 0 ? section(upIndex) : { sql: "", offset: 0, options: { transaction: true } };
  const down = downIndex >= 0 ? section(downIndex) : undefined;

  const approvals: Approval[] = [];
  for (const m of text.matchAll(APPROVAL)) {
    const { line } = positionOf(text, m.index);
    const a = /^\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*:\s*(\S.*)$/.exec(m[1]);
    if (!a) {
      problems.push(`line ${line}: approval must read \`-- lint:approve <rule>[,<rule>]: <reason>\``);
      continue;
    }
    approvals.push({ rules: a[1].split(",").map((r) => r.trim()), reason: a[2].trim(), line });
  }
  if (problems.length > 0) {
    throw new Error(`${ref.filename}: ${problems.join("; ")}. See docs/migrations.md for the file format.`);
  }
  return { ...ref, text, up, down, approvals, checksum: sha256(up.sql) };
}

function parseOptions(raw: string, line: number, problems: string[]): SectionOptions {
  let transaction = true;
  let lockTimeout: string | undefined;
  let statementTimeout: string | undefined;
  let isolation: Isolation | undefined;
  for (const token of raw.trim().split(/\s+/).filter(Boolean)) {
    const [key, value, ...rest] = token.split(":");
    if (value === undefined || rest.length > 0) {
      problems.push(`line ${line}: option "${token}" is not key:value`);
    } else if (key === "transaction" && (value === "true" || value === "false")) {
      transaction = value === "true";
    } else if (key === "lock_timeout" || key === "statement_timeout") {
      const problem = durationProblem(value);
      if (problem) problems.push(`line ${line}: ${key}:${value} ${problem}`);
      else if (key === "lock_timeout") lockTimeout = value;
      else statementTimeout = value;
    } else if (key === "isolation" && ISOLATION[value]) {
      isolation = ISOLATION[value];
    } else {
      problems.push(
        `line ${line}: unknown option "${token}" (known: transaction:true|false, lock_timeout:<n>[ms|s|min|h], statement_timeout:<n>[ms|s|min|h], isolation:repeatable-read|serializable)`,
      );
    }
  }
  if (isolation && !transaction)
    problems.push(
      `line ${line}: isolation:${raw.match(/isolation:(\S+)/)?.[1]} needs a transaction, and transaction:false runs each statement on its own: drop one of the two`,
    );
  return { transaction, lockTimeout, statementTimeout, isolation };
}

/** 1-based line and column of a character offset in `text`: the one place offsets become places. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** The template `precog-db new` writes. */
export function migrationTemplate(): string {
  return ["-- migrate:up", "", "", "-- migrate:down", "", ""].join("\n");
}
