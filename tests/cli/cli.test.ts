/**
 * The `precog-db` command as a user runs it (node bin/precog-db.js, compiled code): commands and
 * exit codes, environment selection and the prod refusal, .env and --database-url, and no
 * password in any output, success or failure.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatedProject } from "../helpers/gated-project";
import { adminConfig, createScratchDatabase, databaseUrl, dropDatabase, withAdmin } from "../helpers/pg";
import { type CliResult, dbEnv, migrationsDir, REPO, removeDir, runCli, sql } from "../migrate/helpers";

let db: string;
let dir: string;
const outputs: CliResult[] = [];
const cli = async (args: string[], env: Record<string, string>, cwd?: string) => {
  const r = await runCli(args, env, { cwd });
  outputs.push(r);
  return r;
};
beforeEach(async () => {
  db = await createScratchDatabase("cli");
  dir = migrationsDir({
    "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;"),
    "0002_u.sql": sql("CREATE TABLE u (v int);", "DROP TABLE u;"),
  });
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const history = async () =>
  (
    await withAdmin(
      (c) =>
        c
          .query("SELECT version::text FROM precog_migrations.history ORDER BY history.version")
          .catch(() => ({ rows: [] })),
      db,
    )
  ).rows.map((r) => r.version);

describe("precog-db", () => {
  it("migrate applies with progress, then reports up to date; status and plan agree", async () => {
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    const first = await cli(["migrate", "--dir", dir], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("precog-db migrate: dev (from PRECOG_ENV)\n");
    expect(first.stderr).toContain("  1/2 0001_t (");
    expect(first.stderr).toContain("  2/2 0002_u (");
    const again = await cli(["migrate", "--dir", dir], env);
    expect([again.code, again.stderr.trim().split("\n").pop()]).toEqual([
      0,
      `postgres@127.0.0.1:${adminConfig().port}/${db} (dev) is up to date: 2 migration(s) applied.`,
    ]);
    writeFileSync(join(dir, "0003_v.sql"), sql("TRUNCATE t;"));
    const st = await cli(["status", "--dir", dir], env);
    expect(st.stdout).toMatch(
      /^applied {2}0001_t {2}\S+ by test-operator \(\d+ ms\)\napplied {2}0002_u .*\npending {2}0003_v\n.*: 2 applied, 1 pending\n$/,
    );
    const plan = await cli(["plan", "--dir", dir], env);
    expect([plan.code, plan.stdout]).toEqual([
      0,
      expect.stringMatching(
        /^would apply {2}0003_v {2}sha256 [0-9a-f]{12}\n0003_v\.sql:2:1: warning \[truncate\] TRUNCATE public\.t destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason \(-- lint:approve <rule>: <why>\)\n$/,
      ),
    ]);
    const json = JSON.parse(
      (await cli(["plan", "--dir", dir, "--json"], { ...env, PRECOG_ENV: "staging", DB_SSLMODE: "disable" })).stdout,
    );
    expect(json.pending.map((p: { version: string }) => p.version)).toEqual(["0003"]);
    expect(json.findings[0].severity).toBe("error");
  });

  it("exits non-zero with the file, line, column and caret on bad SQL, leaving that migration unapplied", async () => {
    writeFileSync(
      join(dir, "0003_bad.sql"),
      "-- migrate:up\nCREATE TABLE w (id int);\nALTER TABLE w ADD COLUMN x nosuchtype;\n",
    );
    // From the repository, test follows dev's ledger; this test is about the error, not the order.
    const r = await cli(["migrate", "--dir", dir, "--skip-stack-order"], { ...dbEnv(db), PRECOG_ENV: "test" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `precog-db: 0003_bad.sql: up failed: type "nosuchtype" does not exist (SQLSTATE 42704)\n  at ${dir}/0003_bad.sql:3:28\n  3 | ALTER TABLE w ADD COLUMN x nosuchtype;\n    |                            ^\n`,
    );
    expect(await history()).toEqual(["1", "2"]);
  });

  it("refuses prod without PRECOG_PROD_CONFIRMED=yes, however prod was selected", async () => {
    const prodDb = await createScratchDatabase("cli_prod");
    try {
      const refusal = /^precog-db: Refusing to apply migrations on prod: PRECOG_PROD_CONFIRMED is not "yes"\./m;
      const byEnv = await cli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "prod" });
      const byName = await cli(["migrate", "--dir", dir], { ...dbEnv(prodDb) });
      const byUrl = await cli(["migrate", "--dir", dir, "--database-url", databaseUrl(prodDb)], {});
      const wrongWord = await cli(["migrate", "--dir", dir], {
        ...dbEnv(db),
        PRECOG_ENV: "prod",
        PRECOG_PROD_CONFIRMED: "true",
      });
      for (const r of [byEnv, byName, byUrl, wrongWord])
        expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(refusal)]);
      expect(await history()).toEqual([]);
      const staging = await gatedProject("prod", "staging", "files", dir);
      const confirmed = await cli(
        ["migrate", "--dir", dir, "--backup-dir", join(dir, "backups")],
        { ...dbEnv(db), ...staging.env, PRECOG_ENV: "prod", DB_SSLMODE: "disable", PRECOG_PROD_CONFIRMED: "yes" },
        staging.cwd,
      );
      staging.remove();
      expect(confirmed.code).toBe(0);
      expect(confirmed.stderr).toContain("warning: prod access by test-operator\n");
      expect(readdirSync(join(dir, "backups"))).toEqual([expect.stringMatching(/^prod-\d{8}T\d{6}Z-0-to-0002\.dump$/)]);
    } finally {
      await dropDatabase(prodDb);
    }
  });

  it("a stale PRECOG_ENV=dev cannot reach a prod or staging database, by DB_NAME, URL or .env", async () => {
    const prodDb = await createScratchDatabase("precog_prod");
    const stagingDb = await createScratchDatabase("precog_staging");
    const cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
    try {
      const refusal = (db: string, label: string, named: string) =>
        `precog-db: The environment is dev, but the target database "${db}" (${label}) is a ${named} database. Set PRECOG_ENV=${named} to work on it deliberately (with its guards), or point at the dev database.\n`;
      const byName = await cli(["migrate", "--dir", dir], { ...dbEnv(prodDb), PRECOG_ENV: "dev" });
      expect([byName.code, byName.stderr]).toEqual([1, refusal(prodDb, "DB_NAME", "prod")]);
      const staging = await gatedProject("prod", "staging", "files", dir);
      await cli(
        ["migrate", "--dir", dir],
        {
          ...dbEnv(prodDb),
          ...staging.env,
          PRECOG_ENV: "prod",
          DB_SSLMODE: "disable",
          PRECOG_PROD_CONFIRMED: "yes",
          PRECOG_BACKUP_DIR: join(cwd, "bk"),
        },
        staging.cwd,
      );
      staging.remove();
      const downByUrl = await cli(["down", "--dir", dir, "--database-url", databaseUrl(prodDb)], { PRECOG_ENV: "dev" });
      expect([downByUrl.code, downByUrl.stderr]).toEqual([1, refusal(prodDb, "the URL's database", "prod")]);
      const e = dbEnv(stagingDb);
      writeFileSync(
        join(cwd, ".env"),
        `PRECOG_ENV=dev\nDB_HOST=${e.DB_HOST}\nDB_PORT=${e.DB_PORT}\nDB_USER=${e.DB_USER}\nDB_PASSWORD=${e.DB_PASSWORD}\nDB_NAME=${stagingDb}\n`,
      );
      const byDotEnv = await cli(["migrate", "--dir", dir], {}, cwd);
      expect([byDotEnv.code, byDotEnv.stderr]).toEqual([1, refusal(stagingDb, "DB_NAME", "staging")]);
      const versions = (d: string) =>
        withAdmin(
          (c) =>
            c.query("SELECT version::text FROM precog_migrations.history ORDER BY history.version").then(
              (r) => r.rows.map((x) => x.version),
              () => [],
            ),
          d,
        );
      expect(await versions(prodDb)).toEqual(["1", "2"]);
      expect(await versions(stagingDb)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      await dropDatabase(prodDb);
      await dropDatabase(stagingDb);
    }
  });

  it("plan --to lists exactly what migrate --to would apply", async () => {
    writeFileSync(join(dir, "0003_v.sql"), sql("CREATE TABLE v (x int);"));
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    await cli(["migrate", "--dir", dir, "--to", "1"], env);
    const plan = await cli(["plan", "--dir", dir, "--to", "2", "--json"], env);
    expect(JSON.parse(plan.stdout).pending.map((p: { version: string }) => p.version)).toEqual(["0002"]);
    const applied = JSON.parse((await cli(["migrate", "--dir", dir, "--to", "2", "--json"], env)).stdout).applied;
    expect(applied.map((a: { version: string }) => a.version)).toEqual(["0002"]);
  });

  it("needs a backup folder on staging, and has no default inside the working tree", async () => {
    const test = await gatedProject("staging", "test", "files", dir);
    const gated = (args: string[], env: Record<string, string>) => cli(args, { ...env, ...test.env }, test.cwd);
    const r = await gated(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "staging", DB_SSLMODE: "disable" });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        "backupDir: required when backups are on (they are by default on staging); pass --backup-dir or set PRECOG_BACKUP_DIR",
      ),
    ]);
    expect(await history()).toEqual([]);
    const ok = await gated(["migrate", "--dir", dir], {
      ...dbEnv(db),
      PRECOG_ENV: "staging",
      DB_SSLMODE: "disable",
      PRECOG_BACKUP_DIR: join(dir, "bk"),
    });
    test.remove();
    expect([ok.code, readdirSync(join(dir, "bk"))]).toEqual([
      0,
      [expect.stringMatching(/^staging-\d{8}T\d{6}Z-0-to-0002\.dump$/)],
    ]);
  });

  it("refuses down on staging, runs it on dev", async () => {
    await cli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev" });
    const refused = await cli(["down", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "staging", DB_SSLMODE: "disable" });
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: Refusing to run down migrations on staging: destructive operations are only allowed on dev and test.",
      ),
    ]);
    expect(await history()).toEqual(["1", "2"]);
    const ok = await cli(["down", "--dir", dir, "--to", "0"], { ...dbEnv(db), PRECOG_ENV: "dev" });
    expect([ok.code, ok.stderr]).toEqual([0, expect.stringContaining("Rolled back 2 migration(s).")]);
    expect(await history()).toEqual([]);
  });

  it("messages name a migration by its file, padded and with .sql; --json puts a failure on stdout too", async () => {
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    expect((await cli(["migrate", "--dir", dir], env)).code).toBe(0);
    writeFileSync(join(dir, "0000_early.sql"), sql("SELECT 1;"));
    const early = await cli(["migrate", "--dir", dir, "--json"], env);
    const problem = `0000_early.sql is older than the newest applied migration 0002_u.sql: give it a version after 2`;
    expect([early.code, early.stderr]).toEqual([1, expect.stringContaining(problem)]);
    expect(Object.keys(JSON.parse(early.stdout))).toEqual(["error"]);
    expect(JSON.parse(early.stdout).error).toContain(problem);
    rmSync(join(dir, "0000_early.sql"));
    rmSync(join(dir, "0002_u.sql"));
    const down = await cli(["down", "--dir", dir], env);
    expect([down.code, down.stderr]).toEqual([
      1,
      expect.stringContaining(`0002_u.sql is applied but its file is missing from ${dir}: restore it to roll it back.`),
    ]);
    expect(down.stdout).toBe("");
  });

  it("an indented -- migrate:up line is named, with its line", async () => {
    writeFileSync(join(dir, "0003_indented.sql"), "-- a header\n  -- migrate:up\nSELECT 1;\n");
    const r = await cli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev" });
    expect([r.code, r.stderr.trim().split("\n").pop()]).toEqual([
      1,
      'precog-db: 0003_indented.sql: no `-- migrate:up` line: line 2 has one indented; a marker must start at the beginning of its line, so remove the 2 character(s) before "--". See docs/migrations.md for the file format.',
    ]);
    expect(await history()).toEqual([]);
  });

  it("reads DB_* from a .env file in the working folder, the process environment winning", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
    try {
      const e = dbEnv(db);
      writeFileSync(
        join(cwd, ".env"),
        `# local settings\nexport DB_HOST=${e.DB_HOST}\nDB_PORT="${e.DB_PORT}"\nDB_USER='${e.DB_USER}'\nDB_PASSWORD=${e.DB_PASSWORD}\nDB_NAME=nonexistent_db\nPRECOG_ENV=test\n`,
      );
      const r = await cli(["migrate", "--dir", dir], { DB_NAME: db }, cwd);
      expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("precog-db migrate: test (from PRECOG_ENV)")]);
      expect(await history()).toEqual(["1", "2"]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("never prints a password: bad password, bad URL password, bad SQL, lint", async () => {
    const wrong = "Wr0ng-Pa55word-zq9";
    const badPw = await cli(["status", "--dir", dir], { ...dbEnv(db), DB_PASSWORD: wrong, PRECOG_ENV: "dev" });
    expect([badPw.code, badPw.stderr]).toEqual([
      1,
      expect.stringContaining(
        `precog-db: Cannot connect to postgres@127.0.0.1:${adminConfig().port}/${db}: password authentication failed for user "postgres"`,
      ),
    ]);
    const url = databaseUrl(db).replace(encodeURIComponent(adminConfig().password), wrong);
    const badUrl = await cli(["migrate", "--dir", dir, "--database-url", url], {});
    expect(badUrl.code).toBe(1);
    const unreachable = await cli(
      ["migrate", "--dir", dir, "--database-url", `postgresql://postgres:${wrong}@127.0.0.1:1/x`],
      {},
    );
    expect([unreachable.code, unreachable.stderr]).toEqual([
      1,
      expect.stringContaining("Cannot connect to postgres@127.0.0.1:1/x: connect ECONNREFUSED"),
    ]);
    const all = [...outputs, badPw, badUrl].map((r) => r.stdout + r.stderr).join("\n");
    for (const secret of [wrong, adminConfig().password, encodeURIComponent(adminConfig().password)])
      expect(all).not.toContain(secret);
    expect(outputs.length).toBeGreaterThan(10);
  });

  it("new writes the next version from the template; lint exits non-zero on prod errors", async () => {
    const r = await cli(["new", "add_market_tags", "--dir", dir], {});
    expect([r.code, r.stdout]).toEqual([0, `${join(dir, "0003_add_market_tags.sql")}\n`]);
    expect(readFileSync(join(dir, "0003_add_market_tags.sql"), "utf8")).toBe("-- migrate:up\n\n\n-- migrate:down\n\n");
    const ts = await cli(["new", "later", "--timestamp", "--dir", dir], {});
    expect(ts.stdout).toMatch(/\d{14}_later\.sql\n$/);
    const bad = await cli(["new", "Bad Name", "--dir", dir], {});
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'precog-db: new needs one name of lowercase letters, digits and underscores, e.g. precog-db new add_market_tags (got "Bad Name").\n',
    ]);
    copyFileSync(join(REPO, "migrations/0001_markets.sql"), join(dir, "0100_markets.sql"));
    writeFileSync(join(dir, "0101_drop.sql"), sql("ALTER TABLE markets DROP COLUMN title;"));
    const lintDev = await cli(["lint", "--dir", dir], { PRECOG_ENV: "dev" });
    const lintProd = await cli(["lint", "--dir", dir], { PRECOG_ENV: "prod" });
    expect([lintDev.code, lintProd.code]).toEqual([0, 1]);
    expect(lintProd.stdout).toBe(
      "0101_drop.sql:2:1: error [drop-column] DROP COLUMN title on public.markets destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>)\n",
    );
  });

  it("validate exits 0 without drift and 1 with it, naming each object", async () => {
    const env = { ...dbEnv(db), PRECOG_ENV: "dev" };
    await cli(["migrate", "--dir", dir], env);
    const clean = await cli(["validate", "--dir", dir], env);
    expect([clean.code, clean.stdout]).toEqual([0, `postgres@127.0.0.1:${adminConfig().port}/${db}: no drift.\n`]);
    await withAdmin((c) => c.query("CREATE TABLE hand_made (id int)"), db);
    const drift = await cli(["validate", "--dir", dir, "--scratch-url", databaseUrl("postgres")], env);
    expect([drift.code, drift.stdout]).toEqual([
      1,
      `extra    TABLE public.hand_made\n    TABLE public.hand_made exists in the live database but no migration creates it\npostgres@127.0.0.1:${adminConfig().port}/${db}: 1 difference(s).\n`,
    ]);
  });

  it("shows progress while a long migration runs", async () => {
    writeFileSync(join(dir, "0003_slow.sql"), sql("SELECT pg_sleep(1.2);"));
    const r = await cli(["migrate", "--dir", dir], {
      ...dbEnv(db),
      PRECOG_ENV: "dev",
      PRECOG_PROGRESS_INTERVAL_MS: "400",
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /\n {2}\.\.\. still running migrations 1-3 of 3 \(from 0001_t, sent together\) \(\d s\)\n/,
    );
    expect(r.stderr).toContain("  3/3 0003_slow (");
  });

  it("lint names a file that is not in the folder, and exits non-zero", async () => {
    const r = await cli(["lint", "--dir", dir, "0001_t.sql", "nosuch.sql"], { PRECOG_ENV: "dev" });
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      "",
      `precog-db: No migration "nosuch.sql" in ${dir}: name files as they are in that folder (<version>_<name>.sql), or pass --dir.\n`,
    ]);
    const ok = await cli(["lint", "--dir", dir, `${dir}/0001_t.sql`], { PRECOG_ENV: "dev" });
    expect(ok.code).toBe(0);
  });

  it("an error escaping main() is printed redacted too", async () => {
    // Stands in for a dist/cli/main whose main() rejects: only the bin's last-resort path runs.
    const preload = join(dir, "reject.js");
    writeFileSync(
      preload,
      `require.cache[require.resolve(${JSON.stringify(join(REPO, "dist/cli/main.js"))})] = { loaded: true, exports: { main: async () => { throw new Error("lost postgresql://u:hunter2x@h/db and s3cret-pw"); } } };\n`,
    );
    const r = spawnSync(
      process.execPath,
      ["-r", preload, join(REPO, "bin/precog-db.js"), "status", "--database-url", "postgresql://u:hunter2x@h/db"],
      {
        env: { PATH: process.env.PATH ?? "", DB_PASSWORD: "s3cret-pw" },
        encoding: "utf8",
      },
    );
    expect([r.status, r.stderr]).toEqual([1, "precog-db: lost postgresql://u:***@h/db and ***\n"]);
  });

  it("usage errors exit 2", async () => {
    expect((await cli(["frobnicate"], {})).code).toBe(2);
    expect((await cli([], {})).code).toBe(2);
    expect((await cli(["migrate", "--no-such-flag"], {})).code).toBe(2);
    // An option the verb would ignore is refused: `lint` lints as the selected environment, never the URL's.
    const ignored = await cli(["lint", "--database-url", "postgresql://u:p@h/precog_prod"], {});
    expect([ignored.code, ignored.stderr.split("\n")[0]]).toEqual([
      2,
      "precog-db: lint does not take --database-url; it takes --lock-timeout <d>, --json, --dir <folder>, -h, --help.",
    ]);
    const help = await cli(["--help"], {});
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining("usage: precog-db <command> [options]")]);
  });
});
