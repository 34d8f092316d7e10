/**
 * Checksums of migration files without reading them on every run.
 *
 * `migrate` must notice an applied migration whose file changed, yet the no-op run every deploy
 * pays must not read 1000 files. Like git's index, we keep each file's checksum next to what
 * stat() says about it (size, mtime, ctime, inode; ctime cannot be set back by a user) and
 * re-read a file only when those differ. Entries younger than two seconds when the cache is
 * written are not trusted later ("racy" files, as git calls them: modified in the same clock tick
 * as the cache), so a quick edit right after a run is still caught. A missing or unreadable cache
 * just means reading every file once. `validate` and `status` always read every file.
 *
 * Beside the entries, a small second file keeps the folder's stamp (every file's name and stat, in
 * order) with the history digest those files gave, when every one of them was trusted. A run
 * whose folder has that stamp takes the digest from there and does not parse the entries at all;
 * the stamp names the entries file's own stat too, so it is void once the entries file changes.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomically } from "../fs/write-atomically";
import { type MigrationFile, type MigrationRef, readMigration } from "./files";
import { sha256 } from "./hash";
import type { ListDigest } from "./ledger-summary";

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, checksum: string];
/** What the cache compares of a file's stat(): a `Stats` will do. */
export type FileStat = Pick<Stats, "size" | "mtimeMs" | "ctimeMs" | "ino">;

/** The `FileStat`s of a folder's files, in the folder's order, as four numbers a file in one array. */
export class FileStats {
  readonly numbers: Float64Array;

  constructor(count: number) {
    this.numbers = new Float64Array(count * 4);
  }

  set(index: number, st: FileStat): void {
    const at = index * 4;
    this.numbers[at] = st.size;
    this.numbers[at + 1] = st.mtimeMs;
    this.numbers[at + 2] = st.ctimeMs;
    this.numbers[at + 3] = st.ino;
  }

  get(index: number): FileStat {
    const at = index * 4;
    const n = this.numbers;
    return { size: n[at], mtimeMs: n[at + 1], ctimeMs: n[at + 2], ino: n[at + 3] };
  }
}
interface CacheFile {
  readonly format: 1;
  readonly entries: Record<string, Entry>;
}
/** What a folder with a given stamp gave: the history digest, and the files' own digest. */
export interface FolderDigests {
  /** What `readHistoryDigest` returns when exactly these files are applied. */
  readonly digest: string;
  /** The files' versions and checksums (./ledger-summary.ts `listDigest`). */
  readonly files: ListDigest;
}
interface TreeFile extends FolderDigests {
  /**
   * 3 since it keeps the files' digest too; 2 since the stamp hashes the stat numbers as they are
   * held (1 hashed them as text). Another format is not read (the folder is checksummed once more).
   */
  readonly format: 3;
  /** stat of the entries file this was derived from. */
  readonly entriesFile: string;
  readonly stamp: string;
}

const RACY_MS = 2000;

/** Reads applied files' checksums through a stat-keyed cache. */
export class ChecksumCache {
  private loaded: Record<string, Entry> | undefined;
  private dirty = false;
  /** False once a file too young to be trusted later was read. */
  private allTrusted = true;

  private constructor(private readonly file: string | undefined) {}

  /**
   * Opens the cache for `dir`. `location` is a file path, false for none, or undefined for
   * `node_modules/.cache/precog-db/` of the nearest package above the folder (if any).
   */
  static open(dir: string, location: string | false | undefined): ChecksumCache {
    return new ChecksumCache(location === false ? undefined : (location ?? defaultLocation(dir)));
  }

  /**
   * A stamp of the folder: every file's name and what stat() says about it, in the given order
   * (`stats` in the order of `refs`). The numbers are hashed as they are held, not as text.
   */
  static stamp(refs: readonly MigrationRef[], stats: FileStats): string {
    const n = stats.numbers;
    return createHash("md5")
      .update(refs.map((r) => r.filename).join("\n"))
      .update(new Uint8Array(n.buffer, n.byteOffset, n.byteLength))
      .digest("hex");
  }

  /** The digests recorded for a folder with exactly this stamp, or undefined. */
  digestFor(stamp: string): FolderDigests | undefined {
    if (!this.file) return undefined;
    try {
      const tree = JSON.parse(readFileSync(treeFile(this.file), "utf8")) as TreeFile;
      return tree.format === 3 && tree.stamp === stamp && tree.entriesFile === fileStat(this.file)
        ? { digest: tree.digest, files: tree.files }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The checksum of `ref`'s up section, from the cache when stat() agrees, else by reading the
   * file (and then the parsed file is returned too, so callers need not read it again).
   */
  checksum(ref: MigrationRef, st: FileStat = statSync(ref.path)): { checksum: string; file?: MigrationFile } {
    const entries = this.entries();
    const hit = entries[ref.filename];
    if (hit && hit[0] === st.size && hit[1] === st.mtimeMs && hit[2] === st.ctimeMs && hit[3] === st.ino) {
      return { checksum: hit[4] };
    }
    const file = readMigration(ref);
    if (Date.now() - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS) {
      entries[ref.filename] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, file.checksum];
      this.dirty = true;
    } else {
      this.allTrusted = false;
      if (hit) {
        delete entries[ref.filename];
        this.dirty = true;
      }
    }
    return { checksum: file.checksum, file };
  }

  /**
   * Writes the cache if it changed, and the folder's stamp with its digest when every file was
   * trusted; failures (read-only tree) only cost speed, so are ignored.
   */
  save(tree?: FolderDigests & { readonly stamp: string }): void {
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      if (this.dirty)
        writeFileAtomically(this.file, JSON.stringify({ format: 1, entries: this.entries() } satisfies CacheFile));
      this.dirty = false;
      if (tree && this.allTrusted) {
        writeFileAtomically(
          treeFile(this.file),
          JSON.stringify({ format: 3, entriesFile: fileStat(this.file), ...tree } satisfies TreeFile),
        );
      }
    } catch {
      // Ignored on purpose: see above.
    }
  }

  private entries(): Record<string, Entry> {
    if (this.loaded) return this.loaded;
    this.loaded = {};
    if (this.file) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, "utf8")) as CacheFile;
        if (parsed.format === 1 && parsed.entries) this.loaded = parsed.entries;
      } catch {
        // No cache yet, or a damaged one: every file is read once and the cache rewritten.
      }
    }
    return this.loaded;
  }
}

function treeFile(file: string): string {
  return `${file}.tree`;
}

/** What stat() says about the entries file, or "" when it is missing. */
function fileStat(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.size} ${st.mtimeMs} ${st.ctimeMs} ${st.ino}` : "";
}

function defaultLocation(dir: string): string | undefined {
  const abs = resolve(dir);
  for (let d = dirname(abs); ; d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) {
      return join(d, "node_modules", ".cache", "precog-db", `checksums-${sha256(abs).slice(0, 16)}.json`);
    }
    if (dirname(d) === d) return undefined;
  }
}
