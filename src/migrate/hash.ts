/**
 * The one checksum the engine uses: sha256 of a migration's up section, as lowercase hex. Kept in
 * its own module so the history table, the checksum cache and `validate` cannot disagree.
 */
import { createHash } from "node:crypto";

/** sha256 of `text` (UTF-8), hex. */
export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
