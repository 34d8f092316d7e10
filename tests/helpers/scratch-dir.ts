/**
 * Temporary folders for tests, removed after them, so that runs leave nothing in the temporary
 * folder: made inside a test, removed when that test finishes; made while a file's tests are
 * collected (its top level, a describe's body), removed after them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, onTestFinished } from "vitest";

/** A new folder `precog-<prefix>-XXXXXX` in the temporary folder, removed after its test or tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `precog-${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (expect.getState().currentTestName === undefined) afterAll(remove);
  else onTestFinished(remove);
  return dir;
}
