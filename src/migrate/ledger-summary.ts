/**
 * A stack's applied ledger as its `migrations` output and its migration resource's state carry it:
 * a summary of a fixed size whatever the ledger's length (issue 29): count, newest version, a digest
 * of every applied (version, checksum), and the newest `RECENT` of them listed. The full ledger
 * (names, when, by whom) is the history table's: `precog-db status`, or `precog_migrations.history`.
 *
 * What a summary says of a folder's files (`settle`): when the files up to its newest version have
 * its count and digest, it applied exactly them; otherwise, when the files before its listed ones
 * have the digest of its older part, it applied those and the listed ones; otherwise it does not
 * say (the stack applied, before its newest hundred, a file these lack, or another content, or
 * lacks one they have): the provider then reads its own database, and the stack-order gate refuses
 * the files it cannot settle (`predecessorView`).
 */
import { sha256 } from "./hash";
import { compareVersions, oldestFirst, type Version, versionKey } from "./versions";

/** An applied migration as the summary keeps it: its version and the checksum it was applied with. */
export interface AppliedRef {
  readonly version: Version;
  readonly checksum: string;
}

/** How many of the newest applied migrations a summary lists. */
export const RECENT = 100;

/** A list of files or of applied migrations, in a few values: what a no-op compares. */
export interface ListDigest {
  /** How many. */
  readonly count: number;
  /** The newest version ("3" for 0003_x.sql), or null for none. */
  readonly newest: string | null;
  /** sha256 hex of their text (`appliedText`): two lists with the same digest have the same versions with the same checksums. */
  readonly digest: string;
}

export interface LedgerSummary extends ListDigest {
  /** The newest `RECENT` applied, oldest first, one line each, `<version> <checksum>` (version without padding), joined by "\n". */
  readonly recent: string;
  /** sha256 hex of the text of the applied migrations before `recent` (of "" when there are none). */
  readonly olderDigest: string;
}

/** The lines of `entries` in the summary's order and form. */
function lines(entries: readonly AppliedRef[]): string[] {
  return oldestFirst(entries, (e) => e.version).map((e) => `${versionKey(e.version)} ${e.checksum}`);
}

/** The text of `entries` in the summary's order and form: what a digest is of. */
export function appliedText(entries: readonly AppliedRef[]): string {
  return lines(entries).join("\n");
}

function digestOfLines(all: readonly string[]): ListDigest {
  const count = all.length;
  const newest = count === 0 ? null : all[count - 1].split(" ")[0];
  return { count, newest, digest: sha256(all.join("\n")) };
}

/** The digest of a folder's files (or any list): what the program gives the migration resource. */
export function listDigest(entries: readonly AppliedRef[]): ListDigest {
  return digestOfLines(lines(entries));
}

export function summaryOf(entries: readonly AppliedRef[]): LedgerSummary {
  const all = lines(entries);
  const split = Math.max(0, all.length - RECENT);
  return {
    ...digestOfLines(all),
    recent: all.slice(split).join("\n"),
    olderDigest: sha256(all.slice(0, split).join("\n")),
  };
}

/** The entries a summary's text lists, oldest first. */
export function appliedEntries(text: string): { version: string; checksum: string }[] {
  if (text === "") return [];
  return text.split("\n").map((line) => {
    const [version, checksum] = line.split(" ");
    return { version, checksum };
  });
}

/** Whether two digests are of the same list. */
export function sameList(a: ListDigest, b: ListDigest): boolean {
  return a.count === b.count && a.digest === b.digest;
}

/**
 * Why a folder is not the one a caller read before (its files' digest then, `read`, and now,
 * `now`), or undefined when it is: the refusal of a run that would apply other files than the ones
 * read (the Pulumi provider's folder read, the engine's `expectFiles`).
 */
export function changedSinceRead(dir: string, read: ListDigest, now: ListDigest): string | undefined {
  if (sameList(read, now)) return undefined;
  const seen = (d: ListDigest) => `${d.count} file(s), newest ${d.newest}, digest ${d.digest.slice(0, 12)}`;
  return `The migration files in ${dir} changed after they were read (read: ${seen(read)}; now: ${seen(now)}): nothing was applied; run the command again.`;
}

/**
 * A recorded summary in any shape it has had, as the current one: the summary (its list checked
 * against its count, its newest version and, when it lists every one, its digest); the whole text
 * (`applied`, stacks last deployed before the newest were listed alone), checked against its
 * digest; the whole ledger as a list (before the summary). Undefined when it is none of them (a
 * stack never deployed, or not this project's). `stack` names the stack in the error of a summary
 * that does not hold together.
 */
export function summaryFromOutput(v: unknown, stack: string): LedgerSummary | undefined {
  if (Array.isArray(v)) return summaryOf(v as AppliedRef[]);
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Partial<LedgerSummary> & { applied?: unknown };
  const digested =
    typeof s.count === "number" && (s.newest === null || typeof s.newest === "string") && typeof s.digest === "string";
  if (!digested) return undefined;
  if (typeof s.recent === "string" && typeof s.olderDigest === "string") {
    if (!holdsTogether(s as LedgerSummary))
      throw inconsistent(stack, "its list of the newest does not match its count, newest version or digest");
    return s as LedgerSummary;
  }
  if (typeof s.applied !== "string") return undefined;
  if (sha256(s.applied) !== s.digest) throw inconsistent(stack, "its applied list does not match its digest");
  return summaryOf(appliedEntries(s.applied));
}

/** Whether a summary's list has as many lines as it should, ends at its newest, and (listing all) has its digest. */
function holdsTogether(s: LedgerSummary): boolean {
  const recent = appliedEntries(s.recent);
  if (recent.length !== Math.min(s.count, RECENT)) return false;
  if ((recent.at(-1)?.version ?? null) !== s.newest) return false;
  return s.count > RECENT || (sha256(s.recent) === s.digest && s.olderDigest === sha256(""));
}

function inconsistent(stack: string, what: string): Error {
  return new Error(
    `The migrations ledger summary of stack "${stack}" is inconsistent (${what}): ` +
      `record it again from its database with pulumi refresh --stack ${stack}, then pulumi up --stack ${stack}.`,
  );
}

/** Whether `v` is a summary in its current shape (not one `summaryFromOutput` converts). */
export function isCurrentSummary(v: unknown): v is LedgerSummary {
  const s = v as Partial<LedgerSummary> | undefined;
  return typeof s?.recent === "string" && typeof s.olderDigest === "string";
}

/**
 * What `summary` applied, read against `files` (this folder's, any order): every applied version
 * and checksum, oldest first, when the summary settles it (above); otherwise `unsettledBefore`,
 * the oldest version it lists: before it, what it applied is not known from the summary.
 */
export function settle(
  summary: LedgerSummary,
  files: readonly AppliedRef[],
): { applied: { version: string; checksum: string }[] } | { unsettledBefore: string } {
  const newest = summary.newest;
  if (newest === null) return { applied: [] };
  const upTo = oldestFirst(
    files.filter((f) => compareVersions(f.version, newest) <= 0),
    (f) => f.version,
  ).map((f) => ({ version: versionKey(f.version), checksum: f.checksum }));
  if (sameList(listDigest(upTo), summary)) return { applied: upTo };
  const recent = appliedEntries(summary.recent);
  // It lists every one it applied.
  if (recent.length === summary.count) return { applied: recent };
  const first = recent[0].version;
  const older = upTo.filter((f) => compareVersions(f.version, first) < 0);
  const olderText = appliedText(older);
  const settled =
    older.length === summary.count - recent.length &&
    sha256(olderText) === summary.olderDigest &&
    // The list is the one the digest is of (a summary that does not hold together settles nothing).
    sha256(`${olderText}\n${summary.recent}`) === summary.digest;
  return settled ? { applied: [...older, ...recent] } : { unsettledBefore: first };
}

/**
 * What a predecessor has applied of this stack's files: every file up to `newest` as it is here,
 * except those in `differs`, and (when its summary does not settle them) none of those before
 * `unsettledBefore`. Small whatever the ledger's length.
 */
export interface PredecessorView {
  /** The predecessor's newest applied version: a file after it is not applied there. */
  readonly newest: string | null;
  /** Files up to `newest` it has not applied as they are here: version -> its checksum there, or null for none. */
  readonly differs: Readonly<Record<string, string | null>>;
  /** When present: for a file older than this version, whether the predecessor applied it as it is here is not known. */
  readonly unsettledBefore?: string;
}

/** The view of `predecessor` from `files` (this stack's, any order): `settle`, kept to the files that differ. */
export function predecessorView(predecessor: LedgerSummary, files: readonly AppliedRef[]): PredecessorView {
  const newest = predecessor.newest;
  const settled = settle(predecessor, files);
  const there = new Map(
    ("applied" in settled ? settled.applied : appliedEntries(predecessor.recent)).map((e) => [e.version, e.checksum]),
  );
  const unsettledBefore = "unsettledBefore" in settled ? settled.unsettledBefore : undefined;
  const differs: Record<string, string | null> = {};
  for (const f of files) {
    if (newest === null || compareVersions(f.version, newest) > 0) continue;
    if (unsettledBefore !== undefined && compareVersions(f.version, unsettledBefore) < 0) continue;
    const key = versionKey(f.version);
    const checksum = there.get(key);
    if (checksum !== f.checksum) differs[key] = checksum ?? null;
  }
  return unsettledBefore === undefined ? { newest, differs } : { newest, differs, unsettledBefore };
}

/** Whether the view cannot tell if the predecessor applied `file` (its summary does not settle that far back). */
export function unsettledThere(view: PredecessorView, file: Pick<AppliedRef, "version">): boolean {
  return view.unsettledBefore !== undefined && compareVersions(file.version, view.unsettledBefore) < 0;
}

/** The checksum with which the predecessor applied `file`'s version; undefined if it has not, or if that is not known. */
export function checksumThere(view: PredecessorView, file: AppliedRef): string | undefined {
  if (view.newest === null || compareVersions(file.version, view.newest) > 0) return undefined;
  if (unsettledThere(view, file)) return undefined;
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
