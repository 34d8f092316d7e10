/**
 * Migration file names and contents: table-driven, checking the exact error text.
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listMigrations, type MigrationRef, parseMigration } from "../../src/migrate/files";
import { migrationsDir, removeDir } from "./helpers";

const ref = (filename = "0001_x.sql"): MigrationRef => ({
  version: "0001",
  order: 1n,
  name: "x",
  filename,
  path: `/m/${filename}`,
});

let dirs: string[] = [];
afterEach(() => {
  dirs.forEach(removeDir);
  dirs = [];
});
const dirWith = (names: string[]) => {
  const d = migrationsDir(Object.fromEntries(names.map((n) => [n, "-- migrate:up\n"])));
  dirs.push(d);
  return d;
};

describe("listMigrations", () => {
  it("orders by numeric version, not by text, and ignores non-.sql files", () => {
    const d = dirWith(["10_b.sql", "9_a.sql", "0011_c.sql", "README.md", "20250101120000_ts.sql"]);
    expect(listMigrations(d).map((r) => r.filename)).toEqual([
      "9_a.sql",
      "10_b.sql",
      "0011_c.sql",
      "20250101120000_ts.sql",
    ]);
    expect(listMigrations(d)[2]).toMatchObject({ version: "0011", order: 11n, name: "c" });
  });

  it.each([
    [["1_a.sql", "0001_b.sql"], "  0001_b.sql and 1_a.sql have the same version: renumber one of them"],
    [
      ["add_markets.sql"],
      "  add_markets.sql: not named <version>_<name>.sql (digits, underscore, then letters, digits, _ or -)",
    ],
    [
      ["0001-markets.sql"],
      "  0001-markets.sql: not named <version>_<name>.sql (digits, underscore, then letters, digits, _ or -)",
    ],
    [
      ["99999999999999999999_big.sql"],
      "  99999999999999999999_big.sql: version 99999999999999999999 is too large: the history keeps versions as a bigint, at most 9223372036854775807",
    ],
    [
      ["9223372036854775808_big.sql"],
      "  9223372036854775808_big.sql: version 9223372036854775808 is too large: the history keeps versions as a bigint, at most 9223372036854775807",
    ],
  ])("rejects %j", (names, problem) => {
    const d = dirWith(names);
    expect(() => listMigrations(d)).toThrow(`Bad migration file names in ${d}:\n${problem}`);
  });

  it("takes every version a bigint holds, 19 digits and leading zeros included", () => {
    const d = dirWith(["9223372036854775807_max.sql", "00009223372036854775806_padded.sql"]);
    expect(listMigrations(d).map((r) => r.order)).toEqual([9223372036854775806n, 9223372036854775807n]);
  });

  it("refuses an entry named *.sql that is not a file, and follows a link to one", () => {
    const d = dirWith(["0001_a.sql"]);
    mkdirSync(join(d, "0002_folder.sql"));
    symlinkSync(join(d, "nowhere"), join(d, "0003_dangling.sql"));
    symlinkSync(join(d, "0001_a.sql"), join(d, "0004_link.sql"));
    expect(() => listMigrations(d)).toThrow(
      `Bad migration file names in ${d}:\n` +
        "  0002_folder.sql: is a folder; a migration is a file: move it out of the folder, or rename it so it does not end in .sql\n" +
        "  0003_dangling.sql: is a symbolic link to nothing; a migration is a file: move it out of the folder, or rename it so it does not end in .sql",
    );
    rmSync(join(d, "0002_folder.sql"), { recursive: true });
    rmSync(join(d, "0003_dangling.sql"));
    expect(listMigrations(d).map((r) => r.filename)).toEqual(["0001_a.sql", "0004_link.sql"]);
  });

  it("names the folder when it cannot be read", () => {
    expect(() => listMigrations("/nonexistent/precog")).toThrow(
      /^Cannot read the migrations folder \/nonexistent\/precog: ENOENT.*Pass --dir <folder>\.$/,
    );
  });
});

describe("parseMigration", () => {
  it("splits dbmate sections, keeps offsets, and checksums exactly the up section", () => {
    const text = "-- header\n-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n";
    const m = parseMigration(ref(), text);
    expect(m.up.sql).toBe("CREATE TABLE a (id int);\n\n");
    expect(text.slice(m.up.offset, m.up.offset + 6)).toBe("CREATE");
    expect(m.down?.sql).toBe("DROP TABLE a;\n");
    expect(m.checksum).toBe(createHash("sha256").update("CREATE TABLE a (id int);\n\n").digest("hex"));
    expect(m.up.options).toEqual({ transaction: true, lockTimeout: undefined, statementTimeout: undefined });
  });

  it("a change to the down section or header does not change the checksum; one to the up section does", () => {
    const a = parseMigration(ref(), "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
    const b = parseMigration(ref(), "-- note\n-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 3;\n");
    const c = parseMigration(ref(), "-- migrate:up\nSELECT 1 ;\n-- migrate:down\nSELECT 2;\n");
    expect(b.checksum).toBe(a.checksum);
    expect(c.checksum).not.toBe(a.checksum);
  });

  it("reads options and approvals", () => {
    const m = parseMigration(
      ref(),
      "-- lint:approve drop-column, truncate: the column was unused since March\n-- migrate:up transaction:false lock_timeout:2s statement_timeout:30min\nSELECT 1;\n-- migrate:down transaction:false\n",
    );
    expect(m.up.options).toEqual({ transaction: false, lockTimeout: "2s", statementTimeout: "30min" });
    expect(m.down?.options.transaction).toBe(false);
    const iso = parseMigration(
      ref(),
      "-- migrate:up isolation:repeatable-read\nSELECT 1;\n-- migrate:down isolation:serializable lock_timeout:1s\n",
    );
    expect([iso.up.options, iso.down?.options]).toEqual([
      { transaction: true, lockTimeout: undefined, statementTimeout: undefined, isolation: "repeatable read" },
      { transaction: true, lockTimeout: "1s", statementTimeout: undefined, isolation: "serializable" },
    ]);
    expect(m.approvals).toEqual([
      { rules: ["drop-column", "truncate"], reason: "the column was unused since March", line: 1 },
    ]);
  });

  it.each([
    ["SELECT 1;\n", "0001_x.sql: no `-- migrate:up` line. See docs/migrations.md for the file format."],
    [
      "-- migrate:up\n-- migrate:up\n",
      "0001_x.sql: more than one `-- migrate:up` line. See docs/migrations.md for the file format.",
    ],
    [
      "-- migrate:up\n-- migrate:down\n-- migrate:down\n",
      "0001_x.sql: more than one `-- migrate:down` line. See docs/migrations.md for the file format.",
    ],
    [
      "-- migrate:up transaction:maybe\n",
      '0001_x.sql: line 1: unknown option "transaction:maybe" (known: transaction:true|false, lock_timeout:<n>[ms|s|min|h], statement_timeout:<n>[ms|s|min|h], isolation:repeatable-read|serializable). See docs/migrations.md for the file format.',
    ],
    [
      "-- migrate:up transaction:false isolation:serializable\n",
      "0001_x.sql: line 1: isolation:serializable needs a transaction, and transaction:false runs each statement on its own: drop one of the two. See docs/migrations.md for the file format.",
    ],
    [
      "-- migrate:up isolation:read-uncommitted\n",
      '0001_x.sql: line 1: unknown option "isolation:read-uncommitted" (known: transaction:true|false, lock_timeout:<n>[ms|s|min|h], statement_timeout:<n>[ms|s|min|h], isolation:repeatable-read|serializable). See docs/migrations.md for the file format.',
    ],
    [
      "\n-- migrate:up lock_timeout:5sec seconds\n",
      '0001_x.sql: line 2: lock_timeout:5sec is not a duration such as 500ms, 5s, 15min or 0 (a whole number, then us, ms, s, min, h or d); line 2: option "seconds" is not key:value. See docs/migrations.md for the file format.',
    ],
    [
      "-- migrate:up statement_timeout:2147483648ms lock_timeout:25d\n",
      "0001_x.sql: line 1: statement_timeout:2147483648ms is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit; line 1: lock_timeout:25d is out of range: PostgreSQL takes at most 2147483647ms (about 24 days); 0 means no limit. See docs/migrations.md for the file format.",
    ],
    [
      "-- migrate:up\n-- migrate:down lock_timeout:100us statement_timeout:010s\n",
      "0001_x.sql: line 2: lock_timeout:100us rounds to 0 ms, which PostgreSQL takes as no limit: write 0 for no limit, or at least 1ms; line 2: statement_timeout:010s has a leading zero, which PostgreSQL reads as octal (010s is 8s, 09s an error): write 10s. See docs/migrations.md for the file format.",
    ],
    [
      "-- lint:approve drop-table\n-- migrate:up\n",
      "0001_x.sql: line 1: approval must read `-- lint:approve <rule>[,<rule>]: <reason>`. See docs/migrations.md for the file format.",
    ],
  ])("rejects %j", (text, message) => {
    expect(() => parseMigration(ref(), text)).toThrow(new Error(message));
  });
});
