/**
 * The admin password file a mocked local stack's config names (`precog:local.adminPasswordFile`):
 * a made-up password in a folder of its own, removed after the test file's tests, so that runs
 * leave nothing behind in the temporary folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** Call at a test file's top level: the file exists for its tests and is removed after them. */
export function adminPasswordFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "precog-admin-password-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "admin-password");
  writeFileSync(file, "local-admin-password\n", { mode: 0o600 });
  return file;
}
