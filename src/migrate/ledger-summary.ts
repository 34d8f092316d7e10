/**
 * A stack's applied ledger as its `migrations` output and its migration resource's state carry it:
 * a summary whose size does not grow with the ledger's but for one text, so that the engine moves a
 * handful of values whatever the history's length (issue 29). The full ledger (names, when, by
 * whom) is the history table's: `precog-db status`, or `precog_migrations.history` itself.
 *
 * The stack-order gate (./stack-order.ts) reads a predecessor through it: when the predecessor's
 * count and digest equal those of this stack's files up to the predecessor's newest version, the
 * summary settles every pending file without reading the text; otherwise only the files the
 * predecessor has not applied as they are here are taken from the text (`predecessorView`).
 */
import { sha256 } from "./hash";
import { compareVersions, oldestFirst, type Version, versionKey } from "./versions";

/** An applied migration as the summary keeps it: its version and the checksum it was applied with. */
export interface AppliedRef {
  readonly version: Version;
  readonly checksum: string;
}

export interface LedgerSummary {
  /** How many migrations are applied. */
  readonly count: number;
  /** The newest applied version ("3" for 0003_x.sql), or null before the first. */
  readonly newest: string | null;
  /** sha256 hex of `applied`: two stacks with the same digest applied the same versions with the same checksums. */
  readonly digest: string;
  /**
   * Every applied migration, oldest first, one line each, `<version> <checksum>` (version without
   * padding, checksum sha256 hex), joined by "\n": the detail the gate reads only when count and
   * digest do not settle it. One text, so the engine carries one value, not one per migration.
   */
  readonly applied: string;
}

/** The text of `applied` in the summary's order and form: what the digest is of. */
export function appliedText(entries: readonly AppliedRef[]): string {
  return oldestFirst(entries, (e) => e.version)
    .map((e) => `${versionKey(e.version)} ${e.checksum}`)
    .join("\n");
}

export function summaryOf(entries: readonly AppliedRef[]): LedgerSummary {
  const applied = appliedText(entries);
  const count = entries.length;
  const newest = count === 0 ? null : applied.slice(applied.lastIndexOf("\n") + 1).split(" ")[0];
  return { count, newest, digest: sha256(applied), applied };
}

/** The entries a summary's text lists, oldest first. */
export function appliedEntries(applied: string): { version: string; checksum: string }[] {
  if (applied === "") return [];
  return applied.split("\n").map((line) => {
    const [version, checksum] = line.split(" ");
    return { version, checksum };
  });
}

/**
 * A stack's `migrations` output as a summary, in either shape it has had: the summary, or the whole
 * ledger as a list (stacks last deployed before the summary; their next `up` rewrites it).
 * Undefined when it is neither (a stack never deployed, or not this project's).
 */
export function summaryFromOutput(v: unknown): LedgerSummary | undefined {
  if (Array.isArray(v)) return summaryOf(v as AppliedRef[]);
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Partial<LedgerSummary>;
  const ok =
    typeof s.count === "number" &&
    (s.newest === null || typeof s.newest === "string") &&
    typeof s.digest === "string" &&
    typeof s.applied === "string";
  return ok ? (s as LedgerSummary) : undefined;
}

/**
 * What a predecessor has applied of this stack's files: every file up to `newest` as it is here,
 * except those in `differs`. Small whatever the ledger's length when the stacks agree.
 */
export interface PredecessorView {
  /** The predecessor's newest applied version: a file after it is not applied there. */
  readonly newest: string | null;
  /** Files up to `newest` it has not applied as they are here: version -> its checksum there, or null for none. */
  readonly differs: Readonly<Record<string, string | null>>;
}

/**
 * The view of `predecessor` from `files` (this stack's, any order). Count and digest settle it
 * without reading the text when the predecessor applied exactly the files here up to its newest
 * version; otherwise the text is read (after checking it against the digest) for the files up to
 * that version. `stack` names the predecessor in the error of a text that does not match its digest.
 */
export function predecessorView(
  predecessor: LedgerSummary,
  files: readonly AppliedRef[],
  stack: string,
): PredecessorView {
  const newest = predecessor.newest;
  if (newest === null) return { newest, differs: {} };
  const upTo = files.filter((f) => compareVersions(f.version, newest) <= 0);
  if (upTo.length === predecessor.count && sha256(appliedText(upTo)) === predecessor.digest)
    return { newest, differs: {} };
  if (sha256(predecessor.applied) !== predecessor.digest) {
    throw new Error(
      `The migrations output of stack "${stack}" is inconsistent (its applied list does not match its digest): ` +
        `run pulumi up --stack ${stack} to record it again.`,
    );
  }
  const there = new Map(appliedEntries(predecessor.applied).map((e) => [e.version, e.checksum]));
  const differs: Record<string, string | null> = {};
  for (const f of upTo) {
    const key = versionKey(f.version);
    const checksum = there.get(key);
    if (checksum !== f.checksum) differs[key] = checksum ?? null;
  }
  return { newest, differs };
}

/** The checksum with which the predecessor applied `file`'s version; undefined if it has not. */
export function checksumThere(view: PredecessorView, file: AppliedRef): string | undefined {
  if (view.newest === null || compareVersions(file.version, view.newest) > 0) return undefined;
  const key = versionKey(file.version);
  if (Object.hasOwn(view.differs, key)) return view.differs[key] ?? undefined;
  return file.checksum;
}

/** The files the predecessor applied as they are here: the set the engine may apply (`MigrateOptions.allowed`). */
export function allowedOf(
  view: PredecessorView,
  files: readonly AppliedRef[],
): { version: string; checksum: string }[] {
  return files
    .filter((f) => checksumThere(view, f) === f.checksum)
    .map((f) => ({ version: versionKey(f.version), checksum: f.checksum }));
}
