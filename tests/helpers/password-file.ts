/**
 * The admin password file a mocked local stack's config names (`precog:local.adminPasswordFile`):
 * a made-up password in a scratch folder, removed after the test file's tests.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./scratch-dir";

/** Call at a test file's top level: the file exists for its tests and is removed after them. */
export function adminPasswordFile(password = "local-admin-password"): string {
  const file = join(scratchDir("admin-password"), "admin-password");
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return file;
}
