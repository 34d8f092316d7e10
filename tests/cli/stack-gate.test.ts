/**
 * The command line's stack-order gate (src/cli/stack-gate.ts) with the real Pulumi CLI reading a
 * predecessor's `migrations` output from a file backend, and real PostgreSQL: what the predecessor
 * lacks or applied differently is refused by name with nothing applied, a predecessor never
 * deployed says to deploy it, and --skip-stack-order is logged on test and refused on staging.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrationFiles } from "../../src/migrate";
import { type GatedProject, gatedProject } from "../helpers/gated-project";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { dbEnv, migrationsDir, REPO, removeDir, runCli, sql } from "../migrate/helpers";

let db: string;
let dir: string;
let project: GatedProject | undefined;
beforeEach(async () => {
  db = await createScratchDatabase("gate");
  dir = migrationsDir({
    "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;"),
    "0002_u.sql": sql("CREATE TABLE u (v int);", "DROP TABLE u;"),
  });
});
afterEach(async () => {
  project?.remove();
  project = undefined;
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
const migrateIn = (p: GatedProject, env: string, args: string[] = []) =>
  runCli(
    ["migrate", "--dir", dir, ...args],
    { ...dbEnv(db), ...p.env, PRECOG_ENV: env, DB_SSLMODE: "disable", PRECOG_BACKUP_DIR: join(dir, "bk") },
    { cwd: p.cwd },
  );

describe("precog-db migrate's stack-order gate", () => {
  it("refuses staging what test has not applied, or applied with another checksum, naming each; nothing applied", async () => {
    // test applied 0001 as it is, and 0002 with other content.
    const [one] = await migrationFiles(dir, false);
    project = await gatedProject("staging", "test", [
      { version: "1", checksum: one.checksum },
      { version: "2", checksum: "0".repeat(64) },
    ]);
    writeFileSync(join(dir, "0003_v.sql"), sql("CREATE TABLE v (x int);"));
    const r = await migrateIn(project, "staging");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'precog-db: Refusing to apply migrations on stack "staging": the stack before it, "test", must apply each first (dev -> test -> staging -> prod):\n',
    );
    expect(r.stderr).toMatch(
      /\n {2}- 2_u\.sql \(checksum [0-9a-f]{12}\): stack "test" applied version 2 with checksum 000000000000; the file changed since\n/,
    );
    expect(r.stderr).toMatch(
      /\n {2}- 3_v\.sql \(checksum [0-9a-f]{12}\): stack "test" has not applied it; stack "staging" lacks it until "test" does\n/,
    );
    expect(r.stderr).not.toMatch(/- 1_t/);
    expect(r.stderr).toContain('Deploy "test" first (pulumi up --stack test), then this stack.\nNothing was applied.');
    expect(await history()).toEqual([]);
  });

  it("applies on staging what test has applied with the same checksums", async () => {
    project = await gatedProject("staging", "test", "files", dir);
    const r = await migrateIn(project, "staging");
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("  2/2 0002_u (")]);
    expect(await history()).toEqual(["1", "2"]);
  });

  it("reads a predecessor whose migrations output is still the whole ledger (deployed before the summary)", async () => {
    project = await gatedProject("staging", "test", "files", dir, "list");
    writeFileSync(join(dir, "0003_v.sql"), sql("CREATE TABLE v (x int);"));
    const refused = await migrateIn(project, "staging");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\n {2}- 3_v\.sql \(checksum [0-9a-f]{12}\): stack "test" has not applied it;/);
    expect(refused.stderr).not.toMatch(/- [12]_/);
    expect(await history()).toEqual([]);
    const r = await migrateIn(project, "staging", ["--to", "2"]);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("  2/2 0002_u (")]);
    expect(await history()).toEqual(["1", "2"]);
  });

  it("a predecessor never deployed: says to deploy it first", async () => {
    project = await gatedProject("staging", "test", undefined);
    const r = await migrateIn(project, "staging");
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        'precog-db: Stack "staging" applies migrations only after "test" has, but "test" has no migrations ledger: deploy it first (pulumi up --stack test), or fix precog:migrations.predecessor. Nothing was applied.',
      ),
    ]);
    expect(await history()).toEqual([]);
  });

  it("staging outside a Pulumi project is refused: the order lives in its stack file", async () => {
    const r = await runCli(
      ["migrate", "--dir", dir],
      { ...dbEnv(db), PRECOG_ENV: "staging", DB_SSLMODE: "disable", PRECOG_BACKUP_DIR: join(dir, "bk") },
      { cwd: dir },
    );
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        `precog-db: staging's migrations follow the stack order (precog:migrations.predecessor in Pulumi.staging.yaml), but ${dir} has no Pulumi.yaml and Pulumi.staging.yaml`,
      ),
    ]);
    expect(await history()).toEqual([]);
  });

  it("--skip-stack-order: refused on staging, logged with the operator on test", async () => {
    project = await gatedProject("staging", "test", undefined);
    const refused = await migrateIn(project, "staging", ["--skip-stack-order"]);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: --skip-stack-order is for dev and test only: staging's migrations always follow the stack order (dev -> test -> staging -> prod). Nothing was applied.",
      ),
    ]);
    expect(await history()).toEqual([]);
    // From the repository, test's stack file names dev, whose ledger this machine does not have.
    const gated = await runCli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "test" }, { cwd: REPO });
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain("To migrate test out of order on purpose, pass --skip-stack-order (logged).");
    expect(await history()).toEqual([]);
    const skipped = await runCli(
      ["migrate", "--dir", dir, "--skip-stack-order"],
      { ...dbEnv(db), PRECOG_ENV: "test" },
      { cwd: REPO },
    );
    expect([skipped.code, skipped.stderr]).toEqual([
      0,
      expect.stringContaining("warning: stack-order gate skipped on test by test-operator (--skip-stack-order)\n"),
    ]);
    expect(await history()).toEqual(["1", "2"]);
  });
});
