/**
 * `down` on a database a stack records, whose successor's stack-order gate reads that stack's
 * recorded ledger (issue 30 item 3; src/cli/ledger-refresh.ts): before anything is rolled back it
 * checks that it can refresh the stack afterwards, and refuses otherwise, naming the command and
 * why; `--skip-stack-refresh` says the database is no stack's; a database no stack file names is
 * rolled back as before. Against the run's real server, with the package's committed stack files
 * (dev's database is precog_dev, and test names dev as its predecessor). The refresh itself runs
 * under the real CLI in tests/engine/down-refresh.test.ts and tests/e2e/migrations.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { committedStack } from "../../src/config/stack-file";
import { MIGRATIONS_TYPE } from "../../src/env/migration-resource";
import { findEngine } from "../../testbed/pulumi-project";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { dbEnv, migrationsDir, REPO, removeDir, runCli, sql } from "../migrate/helpers";

const DEV = committedStack("dev").database;
let dir: string;
let elsewhere: string;
beforeAll(async () => {
  expect(committedStack("test").migrations.predecessor).toBe("dev");
  await dropDatabase(DEV);
  await withAdmin((c) => c.query(`CREATE DATABASE "${DEV}"`));
  elsewhere = mkdtempSync(join(tmpdir(), "precog-no-project-"));
  dir = migrationsDir({
    "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;"),
    "0002_u.sql": sql("CREATE TABLE u (v int);", "DROP TABLE u;"),
  });
});
afterAll(async () => {
  await dropDatabase(DEV);
  removeDir(dir);
  rmSync(elsewhere, { recursive: true, force: true });
});
const env = (database: string) => ({ ...dbEnv(database), PRECOG_ENV: "dev" });
const history = (database: string) =>
  withAdmin(
    async (c) =>
      (await c.query("SELECT version::text FROM precog_migrations.history ORDER BY history.version")).rows.map(
        (r) => r.version as string,
      ),
    database,
  );

describe.sequential("down on dev's database, which test's gate reads through stack dev", () => {
  it("refuses before rolling back from a folder without Pulumi.yaml, naming the refresh and why", async () => {
    expect((await runCli(["migrate", "--dir", dir], env(DEV), { cwd: elsewhere })).code).toBe(0);
    const r = await runCli(["down", "--dir", dir], env(DEV), { cwd: elsewhere });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        `precog-db: Refusing to roll back ${DEV} (dev): "test"'s stack-order gate reads the ledger stack "dev" records, and down must refresh it afterwards, but ${elsewhere} has no Pulumi.yaml: run precog-db down from the Pulumi project's folder, or after the rollback run pulumi refresh --stack dev --run-program --target '<the migration resource's URN>' --yes --skip-preview there. Nothing was rolled back. If ${DEV} here is no stack's database, pass --skip-stack-refresh.`,
      ),
    ]);
    expect(r.stderr).not.toContain("Rolled back");
    expect(await history(DEV)).toEqual(["1", "2"]);
  });

  it("refuses in the project's folder when the backend has no stack dev", async () => {
    const backend = mkdtempSync(join(tmpdir(), "precog-empty-backend-"));
    try {
      const r = await runCli(["down", "--dir", dir], { ...env(DEV), PULUMI_BACKEND_URL: `file://${backend}` });
      expect([r.code, r.stderr]).toEqual([
        1,
        expect.stringMatching(
          new RegExp(
            `precog-db: Refusing to roll back ${DEV} \\(dev\\): "test"'s stack-order gate reads the ledger stack "dev" records, and down must refresh it afterwards, but (cannot run pulumi|cannot read stack "dev" from file://${backend}).*Nothing was rolled back\\.`,
          ),
        ),
      ]);
      expect(await history(DEV)).toEqual(["1", "2"]);
    } finally {
      rmSync(backend, { recursive: true, force: true });
    }
  });

  it("a refresh that fails after the rollback says what happened and the command to run, and exits 1", async () => {
    // Stack dev in a backend of its own, with a migration resource in its state; the refresh then
    // fails for real: this machine's engine has no Node.js language host to run the program with.
    const backend = mkdtempSync(join(tmpdir(), "precog-dev-backend-"));
    const { binDir } = await findEngine();
    const pulumiEnv = {
      PATH: `${binDir}:${process.env.PATH}`,
      HOME: process.env.HOME ?? "",
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: join(REPO, "config/local-stacks.passphrase"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const pulumi = (args: string[]) => execFileSync("pulumi", args, { cwd: REPO, env: pulumiEnv, encoding: "utf8" });
    try {
      pulumi(["stack", "init", "dev", "--non-interactive"]);
      const state = JSON.parse(pulumi(["stack", "export", "--stack", "dev"]));
      const root = "urn:pulumi:dev::precog::pulumi:pulumi:Stack::precog-dev";
      const urn = `urn:pulumi:dev::precog::${MIGRATIONS_TYPE}::precog-dev-migrations`;
      state.deployment.resources = [
        { urn: root, custom: false, type: "pulumi:pulumi:Stack", outputs: { migrations: [] } },
        { urn, custom: false, type: MIGRATIONS_TYPE, parent: root, outputs: { ledgerJson: "[]" } },
      ];
      writeFileSync(join(backend, "state.json"), JSON.stringify(state));
      pulumi(["stack", "import", "--stack", "dev", "--file", join(backend, "state.json")]);

      expect((await runCli(["migrate", "--dir", dir], env(DEV), { cwd: elsewhere })).code).toBe(0);
      expect(await history(DEV)).toEqual(["1", "2"]);
      const r = await runCli(["down", "--dir", dir], { ...env(DEV), ...pulumiEnv });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Rolled back 1 migration(s).");
      expect(r.stderr).toContain("failed to load language plugin nodejs");
      expect(r.stderr).toMatch(
        new RegExp(
          `precog-db: The rollback on ${DEV} is done, but refreshing stack "dev" failed \\(pulumi exit \\d+\\): its recorded ledger still lists what was rolled back, and "test"'s stack-order gate reads the ledger stack "dev" records\\. Run pulumi refresh --stack dev --run-program --target '${urn}' --yes --skip-preview in ${REPO} before deploying test\\.`,
        ),
      );
      expect(await history(DEV)).toEqual(["1"]);
    } finally {
      rmSync(backend, { recursive: true, force: true });
    }
  });

  it("--skip-stack-refresh rolls back, logged with the operator, and leaves the stack alone", async () => {
    const r = await runCli(["down", "--dir", dir, "--skip-stack-refresh"], env(DEV), { cwd: elsewhere });
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("Rolled back 1 migration(s).")]);
    expect(r.stderr).toContain(
      `warning: stack "dev"'s recorded ledger left as it is by test-operator (--skip-stack-refresh): ${DEV} is taken to be no stack's database`,
    );
    expect(r.stderr).not.toContain("refresh --stack");
    expect(await history(DEV)).toEqual([]);
  });

  it("a database no stack file names is rolled back with no refresh and no flag", async () => {
    const scratch = await createScratchDatabase("down_ledger");
    try {
      expect((await runCli(["migrate", "--dir", dir], env(scratch), { cwd: elsewhere })).code).toBe(0);
      const r = await runCli(["down", "--dir", dir], env(scratch), { cwd: elsewhere });
      expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("Rolled back 1 migration(s).")]);
      expect(r.stderr).not.toMatch(/refresh|stack-order/);
      expect(await history(scratch)).toEqual(["1"]);
    } finally {
      await dropDatabase(scratch);
    }
  });

  it("--skip-stack-refresh is down's option only", async () => {
    const r = await runCli(["migrate", "--dir", dir, "--skip-stack-refresh"], env(DEV), { cwd: elsewhere });
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining("migrate does not take --skip-stack-refresh")]);
  });
});
