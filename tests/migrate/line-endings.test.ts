/**
 * Line endings (issue 9, items 11 and 15): an applied file re-saved with CRLF (or back to LF) is
 * still a changed file, but the error says that only its line endings differ and how to restore
 * them; a UTF-8 byte order mark before the `-- migrate:up` line is not a missing up line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { down, migrate, readHistory, status } from "../../src/migrate";
import { createScratchDatabase, dropDatabase } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("eol");
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const opts = () => ({ connection: connectionFor(db), dir, environment: "dev" as const, checksumCache: false as const });

describe("line endings", () => {
  it.each([
    ["LF applied, re-saved with CRLF", (t: string) => t.replace(/\n/g, "\r\n"), (t: string) => t],
    [
      "CRLF applied, re-saved with LF",
      (t: string) => t.replace(/\r\n/g, "\n"),
      (t: string) => t.replace(/\n/g, "\r\n"),
    ],
  ])("%s: the error says only the line endings differ", async (_, resave, initial) => {
    dir = migrationsDir({
      "1_t.sql": initial(sql("CREATE TABLE t (id int);\nCREATE TABLE u (id int);", "DROP TABLE t;")),
    });
    await migrate(opts());
    const file = join(dir, "1_t.sql");
    writeFileSync(file, resave(readFileSync(file, "utf8")));
    const expected =
      "1_t.sql differs from what was applied on dev only in its line endings (CRLF against LF): restore the line endings it was applied with";
    await expect(migrate(opts())).rejects.toThrow(expected);
    expect((await status(opts())).problems).toEqual([expect.stringContaining(expected)]);
  });

  it("down names a file whose line endings alone changed as migrate does, and rolls nothing back", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);", "DROP TABLE t;") });
    await migrate(opts());
    const file = join(dir, "1_t.sql");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\n/g, "\r\n"));
    await expect(down(opts())).rejects.toThrow(
      "1_t.sql differs from what was applied on dev only in its line endings (CRLF against LF): restore the line endings it was applied with (git checkout -- 1_t.sql;",
    );
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
    ]);
  });

  it("a real change is still reported as a change, not as line endings", async () => {
    dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (id int);") });
    await migrate(opts());
    writeFileSync(join(dir, "1_t.sql"), sql("CREATE TABLE t (id bigint);").replace(/\n/g, "\r\n"));
    await expect(migrate(opts())).rejects.toThrow("1_t.sql changed after it was applied on dev");
  });

  it("a UTF-8 byte order mark before the up line is ignored", async () => {
    dir = migrationsDir({
      "1_bom.sql": `\uFEFF${sql("CREATE TABLE bom (id int);")}`,
      "2_bom_header.sql": `\uFEFF-- a header\n${sql("CREATE TABLE bom2 (id int);")}`,
    });
    await migrate(opts());
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
      "2",
    ]);
  });
});
