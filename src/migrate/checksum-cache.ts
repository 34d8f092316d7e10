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
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { sha256 } from "./hash";
import { parseMigration, type MigrationFile, type MigrationRef } from "./files";

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, checksum: string];
interface CacheFile {
  readonly format: 1;
  readonly entries: Record<string, Entry>;
}

const RACY_MS = 2000;

/** Reads applied files' checksums through a stat-keyed cache. */
export class ChecksumCache {
  private entries: Record<string, Entry> = {};
  private dirty = false;

  private constructor(private readonly file: string | undefined) {}

  /**
   * Opens the cache for `dir`. `location` is a file path, false for none, or undefined for
   * `node_modules/.cache/precog-db/` of the nearest package above the folder (if any).
   */
  static open(dir: string, location: string | false | undefined): ChecksumCache {
    const file = location === false ? undefined : (location ?? defaultLocation(dir));
    const cache = new ChecksumCache(file);
    if (file) {
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as CacheFile;
        if (parsed.format === 1 && parsed.entries) cache.entries = parsed.entries;
      } catch {
        // No cache yet, or a damaged one: every file is read once and the cache rewritten.
      }
    }
    return cache;
  }

  /**
   * The checksum of `ref`'s up section, from the cache when stat() agrees, else by reading the
   * file (and then the parsed file is returned too, so callers need not read it again).
   */
  checksum(ref: MigrationRef): { checksum: string; file?: MigrationFile } {
    const st = statSync(ref.path);
    const hit = this.entries[ref.filename];
    if (hit && hit[0] === st.size && hit[1] === st.mtimeMs && hit[2] === st.ctimeMs && hit[3] === st.ino) {
      return { checksum: hit[4] };
    }
    const file = parseMigration(ref, readFileSync(ref.path, "utf8"));
    if (Date.now() - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS) {
      this.entries[ref.filename] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, file.checksum];
      this.dirty = true;
    } else if (hit) {
      delete this.entries[ref.filename];
      this.dirty = true;
    }
    return { checksum: file.checksum, file };
  }

  /** Writes the cache if it changed; failures (read-only tree) only cost speed, so are ignored. */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: 1, entries: this.entries } satisfies CacheFile));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // Ignored on purpose: see above.
    }
  }
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
