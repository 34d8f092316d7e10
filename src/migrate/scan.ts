/**
 * The migrations folder as `migrate` sees it before it asks the server anything: every file's
 * name, and its up section's checksum through the stat cache, so only new or changed files are
 * read (and, when no file changed since a run that trusted them all, not even the cache's entries:
 * see checksum-cache.ts). The work is synchronous, one stat() per file, cut into slices of about a
 * millisecond so that the connection's handshake, in flight at the same time, is answered between
 * them: each of its steps (SCRAM's several WebCrypto calls among them) waits for the slice running
 * when it is due.
 */
import { statSync } from "node:fs";
import { ChecksumCache, FileStats, type FolderDigests } from "./checksum-cache";
import { listMigrations, type MigrationFile, type MigrationRef, readMigration } from "./files";
import { historyDigest } from "./history";
import { type ListDigest, listDigest } from "./ledger-summary";

export interface Scan {
  /** In version order. */
  readonly refs: readonly MigrationRef[];
  /** The up section's sha256 of a listed file. */
  checksumOf(ref: MigrationRef): string;
  /** The parsed file: kept from the scan when it was read then, else read now. */
  read(ref: MigrationRef): MigrationFile;
  /** What `readHistoryDigest` returns when exactly these files are applied. */
  readonly digest: string;
  /** The files' versions and checksums in a few values (./ledger-summary.ts `listDigest`). */
  readonly files: ListDigest;
}

/** Scanning time between two turns of the event loop: a millisecond, in nanoseconds. */
const SLICE_NS = 1_000_000n;

/** Lists `dir` and checksums every file; `cache` as `MigrateOptions.checksumCache`. */
export async function scanFolder(dir: string, cache: string | false | undefined): Promise<Scan> {
  // Start after the caller has sent what it had to send (the connection's first packet).
  await yieldToEvents();
  const refs = listMigrations(dir);
  const cached = ChecksumCache.open(dir, cache);
  // Only the four numbers the cache compares are kept, in one array: a thousand whole Stats (each
  // with four Dates), or a thousand small objects, would be live through the next garbage
  // collections, which copy what is live.
  const stats = new FileStats(refs.length);
  await sliced(refs, (ref, i) => stats.set(i, statSync(ref.path)));
  const stamp = ChecksumCache.stamp(refs, stats);

  let index: Map<string, number> | undefined;
  const checksums = new Map<string, string>();
  const read = new Map<string, MigrationFile>();
  const checksumOf = (ref: MigrationRef): string => {
    const known = checksums.get(ref.filename);
    if (known !== undefined) return known;
    index ??= new Map(refs.map((r, i) => [r.filename, i]));
    const at = index.get(ref.filename);
    // A ref from this scan has its stat already; any other is stat'ed by the cache.
    const got = cached.checksum(ref, at === undefined ? undefined : stats.get(at));
    checksums.set(ref.filename, got.checksum);
    if (got.file) read.set(ref.filename, got.file);
    return got.checksum;
  };
  const scan = (digests: FolderDigests): Scan => ({
    refs,
    checksumOf,
    read: (ref) => read.get(ref.filename) ?? readMigration(ref),
    ...digests,
  });

  const known = cached.digestFor(stamp);
  if (known !== undefined) return scan(known);
  await sliced(refs, checksumOf);
  const digests = {
    digest: historyDigest(refs.map((r) => ({ order: r.order, name: r.name, checksum: checksumOf(r) }))),
    files: listDigest(refs.map((r) => ({ version: r.order, checksum: checksumOf(r) }))),
  };
  cached.save({ stamp, ...digests });
  return scan(digests);
}

/**
 * Runs `each` over `items`, letting the event loop turn about every SLICE_NS. The clock is
 * process.hrtime: the `performance` global would load perf_hooks' modules, which a no-op run
 * needs nowhere else.
 */
async function sliced<T>(items: readonly T[], each: (item: T, index: number) => unknown): Promise<void> {
  let sliceEnd = process.hrtime.bigint() + SLICE_NS;
  for (let i = 0; i < items.length; i++) {
    each(items[i], i);
    if (process.hrtime.bigint() > sliceEnd) {
      await yieldToEvents();
      sliceEnd = process.hrtime.bigint() + SLICE_NS;
    }
  }
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
