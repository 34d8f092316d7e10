/**
 * A file written whole or not at all: the data goes to a temporary file beside it, named for this
 * process, which is then renamed over it, so that a reader sees the old text or the new one, never
 * part of either. On failure the temporary file is removed and the error thrown; the file is as it
 * was. The caches that outlive a process use it (src/config/stack-file.ts, src/migrate/checksum-cache.ts,
 * infra/startup/plugin-code-cache.ts).
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";

export function writeFileAtomically(file: string, data: string | NodeJS.ArrayBufferView): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
