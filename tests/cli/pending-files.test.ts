/**
 * Pending files `migrate` would refuse make `status` and `validate` fail, naming the file and what
 * is wrong (issue 9, item 16): a malformed file, one holding a statement no migration may hold; and
 * an entry named *.sql that is not a file (a folder) is refused by every command that lists the
 * folder, with what to do, instead of a bare EISDIR or a "pending" line. Against the run's real
 * server, through the command.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createScratchDatabase, dropDatabase } from "../helpers/pg";
import { dbEnv, migrationsDir, removeDir, runCli, sql } from "../migrate/helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("cli_pending");
  dir = migrationsDir({ "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;") });
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const env = () => ({ ...dbEnv(db), PRECOG_ENV: "dev" });

describe("pending files that migrate would refuse", () => {
  it.each([
    [
      "no up line",
      "SELECT 1;\n",
      "pending 0002_bad.sql: no `-- migrate:up` line. See docs/migrations.md for the file format.",
    ],
    [
      "an out-of-range timeout",
      sql("SELECT 1;", "", "statement_timeout:30d"),
      "pending 0002_bad.sql: line 1: statement_timeout:30d is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit. See docs/migrations.md for the file format.",
    ],
    [
      "COMMIT in the up section",
      sql("CREATE TABLE u (v int);\nCOMMIT;"),
      "0002_bad.sql:3:1: COMMIT in the up section. precog-db runs each migration in one transaction of its own",
    ],
  ])("%s: status and validate exit 1 naming the file and what is wrong", async (_, text, problem) => {
    expect((await runCli(["migrate", "--dir", dir], env())).code).toBe(0);
    writeFileSync(join(dir, "0002_bad.sql"), text);
    const st = await runCli(["status", "--dir", dir], env());
    expect([st.code, st.stdout.split("\n")[1]]).toEqual([1, "pending  0002_bad"]);
    expect(st.stderr).toContain(`\nproblem: ${problem}`);
    const v = await runCli(["validate", "--dir", dir], env());
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`file     0002_bad.sql\n    ${problem}`);
  });

  it("a folder named *.sql is refused, with what to do, by status, validate and migrate", async () => {
    mkdirSync(join(dir, "0002_folder.sql"));
    for (const command of ["status", "validate", "migrate"]) {
      const r = await runCli([command, "--dir", dir], env());
      expect([command, r.code, r.stderr.split("\n").slice(1, 3)]).toEqual([
        command,
        1,
        [
          `precog-db: Bad migration file names in ${dir}:`,
          "  0002_folder.sql: is a folder; a migration is a file: move it out of the folder, or rename it so it does not end in .sql",
        ],
      ]);
    }
  });
});
