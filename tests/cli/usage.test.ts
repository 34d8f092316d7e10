/**
 * Bad option values are usage errors, exit 2, before anything connects (issue 9, item 20), and
 * `down --to 0` rolls back everything, a version-0 migration included (item 25); against the run's
 * real server.
 */
import { readdirSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { dbEnv, migrationsDir, removeDir, runCli, sql } from "../migrate/helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("cli_usage");
  dir = migrationsDir({
    "0000_zero.sql": sql("CREATE TABLE z (v int);", "DROP TABLE z;"),
    "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;"),
  });
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const env = () => ({ ...dbEnv(db), PRECOG_ENV: "dev" });
const versions = async () =>
  (
    await withAdmin(
      (c) =>
        c
          .query("SELECT version::text FROM precog_migrations.history ORDER BY history.version")
          .catch(() => ({ rows: [] })),
      db,
    )
  ).rows.map((r) => r.version);

describe("bad option values", () => {
  it.each([
    [["migrate", "--to", "abc"], '--to "abc" is not a version: use the digits of a file\'s version, e.g. --to 0007.'],
    [["down", "--to=-1"], '--to "-1" is not a version: use the digits of a file\'s version, e.g. --to 0007.'],
    [["plan", "--to", "1.5"], '--to "1.5" is not a version: use the digits of a file\'s version, e.g. --to 0007.'],
    [["migrate", "--lock-wait", "soon"], '--lock-wait "soon" is not a number of milliseconds.'],
    [
      ["migrate", "--lock-wait", "2147483648"],
      '--lock-wait "2147483648" is out of range: at most 2147483647 ms (PostgreSQL\'s lock_timeout, about 24 days).',
    ],
    [
      ["migrate", "--statement-timeout", "25d"],
      '--statement-timeout "25d" is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit.',
    ],
    [
      ["down", "--lock-timeout", "09s"],
      '--lock-timeout "09s" has a leading zero, which PostgreSQL reads as octal (010s is 8s, 09s an error): write 9s.',
    ],
    [
      ["migrate", "--lock-timeout", "100us"],
      '--lock-timeout "100us" rounds to 0 ms, which PostgreSQL takes as no limit: write 0 for no limit, or at least 1ms.',
    ],
    [
      ["new", "Bad Name"],
      'new needs one name of lowercase letters, digits and underscores, e.g. precog-db new add_market_tags (got "Bad Name").',
    ],
  ])("%j exits 2, saying what is wrong, and changes nothing", async (args, message) => {
    const r = await runCli([...args, "--dir", dir], env());
    expect([r.code, r.stderr.split("\n")[0]]).toEqual([2, `precog-db: ${message}`]);
    expect(await versions()).toEqual([]);
  });
});

describe("new at the top of the version range", () => {
  it("refuses to write a version past bigint's, which every command would then refuse", async () => {
    const full = migrationsDir({ "9223372036854775807_max.sql": sql("SELECT 1;") });
    const r = await runCli(["new", "next", "--dir", full], env());
    expect([r.code, r.stderr.trim()]).toEqual([
      1,
      "precog-db: the next version, 9223372036854775808, is more than a version can be (at most 9223372036854775807, the history's bigint): renumber the newest file 9223372036854775807_max.sql lower.",
    ]);
    expect(readdirSync(full)).toEqual(["9223372036854775807_max.sql"]);
    removeDir(full);
  });
});

describe("down --to 0", () => {
  it("rolls back every migration, version 0 included", async () => {
    expect((await runCli(["migrate", "--dir", dir], env())).code).toBe(0);
    expect(await versions()).toEqual(["0", "1"]);
    const r = await runCli(["down", "--dir", dir, "--to", "0"], env());
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("Rolled back 2 migration(s).")]);
    expect(await versions()).toEqual([]);
  });
});
