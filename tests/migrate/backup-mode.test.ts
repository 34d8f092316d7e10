/**
 * Backups are private to the user (issue 9, item 8): the folder is created 0700 and each dump
 * written 0600, whatever the umask; an existing folder that other users can read is refused before
 * anything is applied, saying what to do.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import { createScratchDatabase, dropDatabase } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
let home: string;
beforeEach(async () => {
  db = await createScratchDatabase("bkmode");
  dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);") });
  home = mkdtempSync(join(tmpdir(), "precog-bk-"));
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
  rmSync(home, { recursive: true, force: true });
});
const run = (backupDir: string) =>
  migrate({ connection: connectionFor(db), dir, environment: "staging", backupDir, checksumCache: false });
const mode = (path: string) => statSync(path).mode & 0o777;

describe("staging and prod backups", () => {
  it("are written 0600 into a folder created 0700, even under a permissive umask", async () => {
    const old = process.umask(0o022);
    try {
      const backups = join(home, "nested", "backups");
      const r = await run(backups);
      expect(r.backupFile).toBeDefined();
      expect([mode(join(home, "nested")), mode(backups), mode(r.backupFile as string)]).toEqual([0o700, 0o700, 0o600]);
    } finally {
      process.umask(old);
    }
  });

  it("refuse an existing folder that other users can read, applying nothing", async () => {
    const shared = join(home, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    await expect(run(shared)).rejects.toThrow(
      `The backup folder ${shared} can be read by other users (mode 0755): run chmod 700 ${shared}, or choose a private folder. Nothing was applied.`,
    );
    expect(readdirSync(shared)).toEqual([]);
    expect(await readHistory({ connection: connectionFor(db), environment: "staging" })).toEqual([]);
  });
});
