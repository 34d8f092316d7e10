/**
 * `expectFiles`: the files' digest as a caller read them before the run (the Pulumi component's
 * program and diff). A folder the run's own scan finds otherwise is refused before anything is
 * applied, saying what was read and what is there; the same folder applies as without the option.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { migrate, migrationFolder } from "../../src/migrate";
import { scratchMigrations, sql } from "./helpers";

const scratch = scratchMigrations("expfiles");
const opts = (extra: object = {}) => ({ ...scratch.opts(), operator: "tester", ...extra });

describe("migrate with expectFiles", () => {
  it("applies a folder that is the one read", async () => {
    const dir = scratch.files({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    const read = (await migrationFolder(dir, false)).digest;
    expect((await migrate(opts({ expectFiles: read }))).applied.map((a) => a.version)).toEqual(["1"]);
    expect(await scratch.versions()).toEqual(["1"]);
  });

  it("refuses a folder changed since it was read, a file added or one changed, applying nothing", async () => {
    const dir = scratch.files({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    const read = (await migrationFolder(dir, false)).digest;
    writeFileSync(join(dir, "2_b.sql"), sql("CREATE TABLE b (id int);"));
    const refusal = (count: number, newest: string) =>
      new RegExp(
        `^The migration files in ${dir} changed after they were read \\(read: 1 file\\(s\\), newest 1, digest ${read.digest.slice(0, 12)}; ` +
          `now: ${count} file\\(s\\), newest ${newest}, digest [0-9a-f]{12}\\): nothing was applied; run the command again\\.$`,
      );
    // Refused before the lock, the history table and the caller's own step before applying.
    const beforeApply = vi.fn(async () => {});
    await expect(migrate(opts({ expectFiles: read, beforeApply }))).rejects.toThrow(refusal(2, "2"));
    expect(beforeApply).not.toHaveBeenCalled();
    expect((await scratch.query("SELECT to_regclass('precog_migrations.history') AS t")).rows[0].t).toBeNull();
    expect(await scratch.tables()).toEqual([]);

    // The same file count and newest version, the content changed.
    rmSync(join(dir, "2_b.sql"));
    writeFileSync(join(dir, "1_a.sql"), sql("CREATE TABLE a (id bigint);"));
    await expect(migrate(opts({ expectFiles: read }))).rejects.toThrow(refusal(1, "1"));
    expect(await scratch.tables()).toEqual([]);
  });
});
