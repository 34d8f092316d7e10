/**
 * Files against history: what is applied, what is pending, and what is wrong (a changed or
 * missing applied file, a new file older than the newest applied one). Pure: the caller supplies
 * checksums, so `migrate` can use the stat cache and `validate` can read every file.
 */
import { appliedFileName, type MigrationFile, type MigrationRef, readMigration } from "./files";
import { sha256 } from "./hash";
import type { AppliedRow } from "./history";
import { compareVersions, newestOf, pendingOf, versionKey } from "./versions";

/** One thing wrong, with the file it concerns (for a missing file, the name it had). */
export interface Problem {
  readonly file: string;
  /** A full sentence naming the file and saying what to do. */
  readonly message: string;
}

export interface Reconciled {
  /** Files with no history row, in version order. */
  readonly pending: readonly MigrationRef[];
  /** Files with a history row. */
  readonly applied: readonly MigrationRef[];
  /** Empty when all is well. */
  readonly problems: readonly Problem[];
  /** The newest applied version, or undefined on an empty database. */
  readonly newest?: AppliedRow;
}

export interface ReconcileInput {
  readonly refs: readonly MigrationRef[];
  readonly history: readonly AppliedRow[];
  /** The up section's checksum for an applied file. */
  readonly checksumOf: (ref: MigrationRef) => string;
  readonly dir: string;
  readonly environment: string;
  readonly allowOutOfOrder: boolean;
}

export function reconcile(input: ReconcileInput): Reconciled {
  const { refs, history, dir, environment } = input;
  const byOrder = new Map<bigint, MigrationRef>();
  for (const r of refs) byOrder.set(r.order, r);
  const problems: Problem[] = [];
  const problem = (file: string, message: string) => problems.push({ file, message });
  const applied: MigrationRef[] = [];
  for (const row of history) {
    const ref = byOrder.get(row.order);
    if (!ref) {
      const file = appliedFileName(row.version, row.name, refs);
      problem(
        file,
        `Migration ${file} was applied on ${environment} (by ${row.appliedBy}, ${row.appliedAt}) ` +
          `but has no file in ${dir}: restore the file (from git) rather than deleting applied migrations.`,
      );
      continue;
    }
    applied.push(ref);
    if (ref.name !== row.name) {
      problem(
        ref.filename,
        `${ref.filename} has version ${row.version}, which was applied on ${environment} as "${row.name}": ` +
          `an applied migration was renamed; restore its name ${ref.version}_${row.name}.sql.`,
      );
      continue;
    }
    const checksum = input.checksumOf(ref);
    const lineEndings = checksum === row.checksum ? undefined : lineEndingsProblem(ref, row.checksum, environment);
    if (lineEndings) {
      problem(ref.filename, lineEndings);
    } else if (checksum !== row.checksum) {
      problem(
        ref.filename,
        `${ref.filename} changed after it was applied on ${environment} (its up section's sha256 was ` +
          `${row.checksum.slice(0, 12)}…, the file now gives ${checksum.slice(0, 12)}…): restore the applied ` +
          `content and put the change in a new migration (precog-db new <name>).`,
      );
    }
  }
  const newest = newestOf(history, (h) => h.order);
  const pending = pendingOf(refs, (r) => r.order, history);
  if (newest && !input.allowOutOfOrder) {
    for (const r of pending) {
      if (compareVersions(r.order, newest.order) < 0) {
        problem(
          r.filename,
          `${r.filename} is older than the newest applied migration ${appliedFileName(newest.version, newest.name, refs)}: ` +
            `give it a version after ${newest.version} (precog-db new <name> picks one), or pass --allow-out-of-order ` +
            `if it really must run after newer ones.`,
        );
      }
    }
  }
  return { pending, applied, problems, newest };
}

/** Pending files up to and including `targetVersion` (all without one): later files wait, as if not yet written. */
export function pendingUpTo<T extends MigrationRef>(pending: readonly T[], targetVersion: string | undefined): T[] {
  return pending.filter((r) => targetVersion === undefined || compareVersions(r.order, targetVersion) <= 0);
}

/**
 * Reads pending files: one that cannot be read or parsed is a problem naming it and what is wrong
 * (status and validate report it and fail), not an exception that hides the others.
 */
export function readPending(refs: readonly MigrationRef[]): { files: MigrationFile[]; problems: Problem[] } {
  const files: MigrationFile[] = [];
  const problems: Problem[] = [];
  for (const ref of refs) {
    try {
      files.push(readMigration(ref));
    } catch (err) {
      problems.push({ file: ref.filename, message: `pending ${(err as Error).message}` });
    }
  }
  return { files, problems };
}

/**
 * Pending files outside `allowed` (the promotion rule: only what the previous
 * stack applied, with that exact content). Empty when `allowed` is not given.
 */
export function allowedProblems(
  files: readonly MigrationFile[],
  allowed: readonly { readonly version: string; readonly checksum: string }[] | undefined,
): Problem[] {
  if (!allowed) return [];
  const want = new Map(allowed.map((a) => [versionKey(a.version), a.checksum]));
  return files.flatMap((f) => {
    const checksum = want.get(versionKey(f.order));
    if (checksum === undefined)
      return [
        {
          file: f.filename,
          message: `${f.filename} is not in the allowed set: it has not been applied upstream yet; apply it there first.`,
        },
      ];
    if (checksum !== f.checksum) {
      return [
        {
          file: f.filename,
          message: `${f.filename} differs from the content allowed upstream (sha256 ${checksum.slice(0, 12)}…, file ${f.checksum.slice(0, 12)}…): apply this content upstream first.`,
        },
      ];
    }
    return [];
  });
}

/** Throws one error listing every problem, or returns. */
export function assertNoProblems(problems: readonly (string | Problem)[], what: string): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => (typeof p === "string" ? p : p.message));
  throw new Error(`${what}:\n  - ${lines.join("\n  - ")}`);
}

/**
 * The problem of an applied file whose up section differs from what was applied only in its line
 * endings, or undefined when it differs otherwise (or not at all). One rule for migrate, status and down.
 */
export function lineEndingsProblem(ref: MigrationRef, applied: string, environment: string): string | undefined {
  if (!onlyLineEndingsDiffer(ref, applied)) return undefined;
  return (
    `${ref.filename} differs from what was applied on ${environment} only in its line endings (CRLF against LF): ` +
    `restore the line endings it was applied with (git checkout -- ${ref.filename}; keep migrations LF with ` +
    `"*.sql text eol=lf" in .gitattributes). The checksum covers the up section byte for byte, line endings included.`
  );
}

/**
 * True when the file's up section, with its line endings turned all LF or all CRLF, gives the
 * applied checksum: the file was re-saved by an editor or a checkout, not edited. Read only on the
 * changed-file path; an unreadable file is simply not "only line endings".
 */
function onlyLineEndingsDiffer(ref: MigrationRef, applied: string): boolean {
  let up: string;
  try {
    up = readMigration(ref).up.sql;
  } catch {
    return false;
  }
  // The file as it is gives the applied checksum: it did not change (a stale cache entry said so).
  if (sha256(up) === applied) return false;
  const lf = up.replace(/\r\n/g, "\n");
  return sha256(lf) === applied || sha256(lf.replace(/\n/g, "\r\n")) === applied;
}
