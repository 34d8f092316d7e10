/**
 * The lexer (src/migrate/sql-lexer.ts) against libpg-query's scanner, the PostgreSQL scanner it
 * stands in for: the same statements, at the same offsets, on texts built to trip it (every way a
 * semicolon or a refused word hides), and on every .sql file of the repository (and of the
 * external corpus, when it is beside the checkout).
 * Then what it spares: a section whose refused words are all in strings, comments, bodies or
 * CASE ... END, and the allowed SET TRANSACTION, need no parse, and the refusals still happen.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMigration } from "../../src/migrate/files";
import { loadParser } from "../../src/migrate/parser";
import { refusedStatements } from "../../src/migrate/refused-statements";
import { lexStatements } from "../../src/migrate/sql-lexer";

/** The scanner's statements: what parser.ts's splitStatements did before the lexer. */
async function scannerSpans(sql: string): Promise<[number, number][] | undefined> {
  const pg = await loadParser();
  let tokens: { tokenName: string; start: number; end: number }[];
  try {
    tokens = pg.scanSync(sql).tokens as typeof tokens;
  } catch {
    return undefined;
  }
  // Offsets are bytes: every text here is ASCII but the Unicode case, checked by its own offsets.
  const toChar = (b: number) => Buffer.from(sql, "utf8").subarray(0, b).toString("utf8").length;
  const spans: [number, number][] = [];
  let first = -1;
  let last = -1;
  for (const t of tokens) {
    if (t.tokenName === "ASCII_59") {
      if (first >= 0) spans.push([toChar(first), toChar(last)]);
      first = -1;
      continue;
    }
    if (t.tokenName === "SQL_COMMENT" || t.tokenName === "C_COMMENT") continue;
    if (first < 0) first = t.start;
    last = t.end;
  }
  if (first >= 0) spans.push([toChar(first), toChar(last)]);
  return spans;
}

const TRICKY = [
  "SELECT 1; SELECT 2",
  "SELECT 'a;b'; SELECT 'it''s; here'",
  "SELECT E'a\\';b'; SELECT 2",
  "SELECT e'\\\\'; SELECT 'x\\'; SELECT 3",
  "SELECT xe'1'; SELECT 2",
  `SELECT "a;""b"; SELECT 2`,
  "SELECT U&\"d;\\0061t\" , U&'d;' ; SELECT 2",
  "SELECT $$a;b$$; SELECT $x$ $$ ; $y$ ; $x$; SELECT 2",
  "SELECT $a$b$a$; SELECT $1; SELECT a$b$c; SELECT 2",
  "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$; SELECT 1",
  "SELECT 1 -- a; comment\n; SELECT 2 /* a; /* nested; */ still; */ ; SELECT 3",
  "SELECT 1 +-- comment; here\n2; SELECT 3 */* c; */ 4",
  "-- only a comment;\n/* and; another */",
  ";;; SELECT 1 ;; ",
  "SELECT B'101', X'1F', N'a;b'; SELECT 2",
  "SELECT 'a'\n'b;c'; SELECT 2",
  "SELECT 'é;ü', \"ö;\"; SELECT '😀;'",
  "SELECT CASE WHEN true THEN 1 END; SELECT 2",
  "SELECT 1; SELECT 'unterminated",
  "SELECT 1; /* unterminated",
  "SELECT $q$ unterminated",
  'SELECT "unterminated',
  "SELECT 1;\r\n-- crlf;\r\nSELECT 2\r\n",
];

describe("lexStatements", () => {
  it.each(TRICKY)("splits %j as the scanner does", async (sql) => {
    const mine = lexStatements(sql)?.map((s) => [s.start, s.end]);
    expect(mine).toEqual(await scannerSpans(sql));
  });

  it("splits every .sql file of the repository (and of the corpus beside it, when present) as the scanner does", async () => {
    const sqlFiles = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith(".sql") ? [join(dir, e.name)] : [],
      );
    const repo = join(__dirname, "../..");
    const corpus = join(repo, "../shared/corpus");
    const files = [
      ...["migrations", "scripts"].flatMap((d) => sqlFiles(join(repo, d))),
      ...(existsSync(corpus) ? sqlFiles(corpus) : []),
    ];
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const sql = readFileSync(f, "utf8");
      expect([f, lexStatements(sql)?.map((s) => [s.start, s.end])]).toEqual([f, await scannerSpans(sql)]);
    }
  });

  it("blanks out what is not code, keeping offsets and quoted identifiers' words", () => {
    expect(lexStatements(`COPY "Tab" FROM 'x;y' -- c\n`)).toEqual([
      { start: 0, end: 21, code: "COPY #Tab# FROM #####" },
    ]);
  });
});

const file = (up: string, line = "-- migrate:up") =>
  parseMigration(
    { filename: "0001_x.sql", path: "/x/0001_x.sql", version: "0001", order: 1n, name: "x" },
    `${line}\n${up}\n`,
  );

describe("refused statements through the lexer", () => {
  it.each([
    ["CASE ... END and a column named release", "SELECT CASE WHEN release THEN 1 END FROM t;", undefined],
    [
      "words in strings, comments and bodies",
      "-- COMMIT;\nSELECT 'BEGIN; COMMIT';\nDO $$ BEGIN PERFORM 1; END $$;",
      undefined,
    ],
    [
      "the SET TRANSACTION the option names",
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSELECT 1;",
      "-- migrate:up isolation:repeatable-read",
    ],
  ] as [string, string, string | undefined][])("finds nothing in %s", async (_name, up, line) => {
    expect(await refusedStatements([file(up, line)], "up")).toEqual([]);
  });

  it.each([
    ["COMMIT after a string holding a semicolon", "SELECT 'a;b';\nCOMMIT;", "COMMIT", 3],
    ["END after CASE ... END", "SELECT CASE WHEN true THEN 1 END;\nEND;", "END", 3],
    [
      // As the first statement it is the isolation: option (docs/migrations.md); after one, refused.
      "SET TRANSACTION after another statement",
      "SELECT 1;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
      "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
      3,
    ],
    ["RESET transaction_isolation", "RESET transaction_isolation;", "SET TRANSACTION ISOLATION LEVEL ", 2],
    ["CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY", 2],
  ])("still refuses %s", async (_name, up, keyword, line) => {
    const found = await refusedStatements([file(up)], "up");
    expect(found.map((r) => [r.keyword, r.line])).toEqual([[keyword, line]]);
  });
});
