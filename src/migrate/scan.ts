/**
 * The migrations folder as `migrate` sees it before it asks the server anything: every file's
 * name, and its up section's checksum through the stat cache, so only new or changed files are
 * read. The work is synchronous (one stat() per file), cut into slices so that the connection's
 * handshake, in flight at the same time, is answered between them.
 */
import { ChecksumCache } from "./checksum-cache";
import { listMigrations, readMigration, type MigrationFile, type MigrationRef } from "./files";
import { historyDigest } from "./history";

export interface Scan {
  /** In version order. */
  readonly refs: readonly MigrationRef[];
  /** The up section's sha256 of a listed file. */
  checksumOf(ref: MigrationRef): string;
  /** The parsed file: kept from the scan when it was read then, else read now. */
  read(ref: MigrationRef): MigrationFile;
  /** What `readHistoryDigest` returns when exactly these files are applied. */
  readonly digest: string;
}

const SLICE = 100;

/** Lists `dir` and checksums every file; `cache` as `MigrateOptions.checksumCache`. */
export async function scanFolder(dir: string, cache: string | false | undefined): Promise<Scan> {
  // Start after the caller has sent what it had to send (the connection's first packet).
  await yieldToEvents();
  const refs = listMigrations(dir);
  const checksums = new Map<string, string>();
  const read = new Map<string, MigrationFile>();
  const cached = ChecksumCache.open(dir, cache);
  for (let i = 0; i < refs.length; i++) {
    const { checksum, file } = cached.checksum(refs[i]);
    checksums.set(refs[i].filename, checksum);
    if (file) read.set(refs[i].filename, file);
    if (i % SLICE === SLICE - 1) await yieldToEvents();
  }
  cached.save();
  const checksumOf = (ref: MigrationRef) => checksums.get(ref.filename)!;
  return {
    refs,
    checksumOf,
    read: (ref) => read.get(ref.filename) ?? readMigration(ref),
    digest: historyDigest(refs.map((r) => ({ order: r.order, name: r.name, checksum: checksumOf(r) }))),
  };
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
