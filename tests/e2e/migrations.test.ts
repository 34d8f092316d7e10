/**
 * The migration component through the real engine on a cluster of its own: dev applies Precog's
 * schema as the owner; a new migration reaches staging only after test has it; prod needs its
 * confirmation and takes a backup; preview names what is pending and nothing after; an applied
 * file edited afterwards blocks the next up; a failure mid-batch leaves the ledger as the database;
 * `precog-db down` on dev refreshes dev's recorded ledger, and test refuses what dev rolled back.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appliedEntries, type LedgerSummary } from "../../src/migrate";
import type { LocalCluster } from "../../testbed/local-cluster";
import { asRole, withAdmin } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject } from "../../testbed/pulumi-project";
import { recordedVersions } from "../helpers/recorded";
import { type CliResult, runCli } from "../migrate/helpers";

const MINUTES = 60_000;
const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", USER: "e2e-operator" };
const NEW = "0006_market_notes.sql";
let project: PulumiProject;
let cluster: LocalCluster;

const up = (stack: string, env: Record<string, string> = {}) =>
  project.run(["up", "--yes", "--skip-preview", "--stack", stack], env);
/** The migration resource's outputs as the state records them. */
async function migrationOutputs(stack: string): Promise<Record<string, unknown>> {
  const exported = JSON.parse((await project.ok(["stack", "export", "--stack", stack])).stdout);
  return exported.deployment.resources.find((x: { type: string }) => x.type === "precog-migrations:index:Migrations")
    .outputs;
}
/** The migration resource's recorded state (what the next diff compares with), its summary's entries parsed. */
async function resourceState(stack: string): Promise<{ ledger: { version: string }[]; lastBackup: string | null }> {
  const outputs = await migrationOutputs(stack);
  return {
    lastBackup: outputs.lastBackup as string | null,
    ledger: recordedVersions(outputs).map((version) => ({ version })),
  };
}
/** `precog-db migrate` as an operator runs it from the project's folder, logged in as the stack's migrator. */
const cliMigrate = (stack: string, args: string[] = []) => precogDb("migrate", stack, args);
/** A `precog-db` verb as an operator runs it from the project's folder, logged in as the stack's migrator. */
async function precogDb(verb: string, stack: string, args: string[] = []): Promise<CliResult> {
  const out = await project.outputs(stack, true);
  const env = Object.fromEntries(
    Object.entries(project.environment()).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return runCli(
    [verb, ...args],
    {
      ...env,
      PRECOG_ENV: stack,
      DB_SSLMODE: "disable",
      DB_HOST: out.host,
      DB_PORT: String(out.port),
      DB_NAME: out.database,
      DB_USER: out.roles.app,
      DB_PASSWORD: out.credentials.app.password,
      DB_MIGRATION_USER: out.roles.migrator,
      DB_MIGRATION_PASSWORD: out.credentials.migrator.password,
      PRECOG_BACKUP_DIR: join(project.dir, "..", "cli-backups"),
    },
    { cwd: project.dir },
  );
}
const historyOf = async (database: string) =>
  withAdmin(
    async (c) =>
      (
        await c.query("select version::text from precog_migrations.history order by precog_migrations.history.version")
      ).rows.map((x) => x.version as string),
    database,
  );
const versions = async (stack: string) =>
  appliedEntries(((await project.outputs(stack)).migrations as LedgerSummary).recent).map((m) => m.version);

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev", "test", "staging", "prod"]));
}, 20 * MINUTES);

afterAll(() => closeSuite(project, cluster));

describe.sequential("the migration component, through the real engine", () => {
  it(
    "dev applies every migration logged in as the migrator, acting as the owner: every object is the owner's, the app role reads and writes, the read-only role reads",
    async () => {
      expect((await up("dev")).code).toBe(0);
      expect(await versions("dev")).toEqual(["1", "2", "3", "4", "5"]);
      const out = await project.outputs("dev", true);
      expect(out.schemaVersion).toBe("5");
      // Tables, sequences, indexes and the history table, in both schemas: all the owner's.
      const owners = await withAdmin(
        async (c) =>
          (
            await c.query(
              `select distinct n.nspname as schema, pg_get_userbyid(c.relowner) as owner from pg_class c
                 join pg_namespace n on n.oid = c.relnamespace
                where n.nspname in ('public', 'precog_migrations') order by 1`,
            )
          ).rows,
        "precog_dev",
      );
      expect(owners).toEqual([
        { schema: "precog_migrations", owner: "precog_dev_owner" },
        { schema: "public", owner: "precog_dev_owner" },
      ]);
      const tables = await withAdmin(
        async (c) =>
          (await c.query("select tablename from pg_tables where schemaname = 'public' order by 1")).rows.map(
            (r) => r.tablename as string,
          ),
        "precog_dev",
      );
      for (const t of tables) {
        await asRole("precog_dev_user", out.credentials.app.password, "precog_dev", (c) =>
          c.query(`select count(*) from ${t}`),
        );
        await asRole("precog_dev_readonly", out.credentials.readonly.password, "precog_dev", (c) =>
          c.query(`select count(*) from ${t}`),
        );
      }
      await asRole("precog_dev_user", out.credentials.app.password, "precog_dev", (c) =>
        c
          .query(
            "insert into markets (venue, external_id, title) values ('e2e', 'E2E-1', 'written by the app') returning id",
          )
          .catch((e) => {
            throw new Error(`the app role cannot write markets: ${e.message}`);
          }),
      );
    },
    10 * MINUTES,
  );

  it(
    "test, staging and prod follow in order; prod takes a pg_dump backup first",
    async () => {
      expect((await up("test")).code).toBe(0);
      expect((await up("staging")).code).toBe(0);
      expect((await up("prod", CONFIRMED)).code).toBe(0);
      const prod = await project.outputs("prod");
      expect(prod.migrations.count).toBe(5);
      const backups = readdirSync(join(project.dir, "..", "backups"));
      expect(backups.filter((f) => f.startsWith("prod-") && f.endsWith(".dump"))).toHaveLength(1);
      const state = await resourceState("prod");
      expect(state.lastBackup).toBe(join(project.dir, "..", "backups", backups.find((f) => f.startsWith("prod-"))!));
    },
    15 * MINUTES,
  );

  it(
    "a new migration: preview names it, staging refuses it until test has it, then applies it",
    async () => {
      writeFileSync(
        join(project.dir, "migrations", NEW),
        "-- migrate:up\nALTER TABLE markets ADD COLUMN notes text;\n\n-- migrate:down\nALTER TABLE markets DROP COLUMN notes;\n",
      );
      const preview = await project.run(["preview", "--diff", "--stack", "dev"]);
      expect(preview.code).toBe(0);
      expect(preview.all).toContain(`pending migrations: ${NEW}`);
      expect(preview.all).toContain(NEW);
      expect((await up("dev")).code).toBe(0);
      expect(await versions("dev")).toContain("6");
      expect((await project.run(["preview", "--expect-no-changes", "--stack", "dev"])).code).toBe(0);

      const refused = await up("staging");
      expect(refused.code).not.toBe(0);
      expect(refused.all).toContain(
        'Refusing to apply migrations on stack "staging": the stack before it, "test", must apply each first',
      );
      expect(refused.all).toMatch(
        /6_market_notes\.sql \(checksum [0-9a-f]{12}\): stack "test" has not applied it; stack "staging" lacks it/,
      );
      expect(await versions("staging")).not.toContain("6");

      // The command line's gate refuses staging the same way, and --skip-stack-order cannot help.
      const cli = await cliMigrate("staging");
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(
        'Refusing to apply migrations on stack "staging": the stack before it, "test", must apply each first',
      );
      expect(cli.stderr).toMatch(
        /6_market_notes\.sql \(checksum [0-9a-f]{12}\): stack "test" has not applied it; stack "staging" lacks it/,
      );
      expect(cli.stderr).toContain("Nothing was applied.");
      const skip = await cliMigrate("staging", ["--skip-stack-order"]);
      expect([skip.code, skip.stderr]).toEqual([
        1,
        expect.stringContaining("precog-db: --skip-stack-order is for dev and test only"),
      ]);
      expect(await historyOf("precog_staging")).not.toContain("6");

      expect((await up("test")).code).toBe(0);
      // Once test has it, the command line applies it on staging; staging's next up records it.
      const applied = await cliMigrate("staging");
      expect([applied.code, applied.stderr]).toEqual([0, expect.stringContaining("0006_market_notes")]);
      expect(await historyOf("precog_staging")).toContain("6");
      expect((await up("staging")).code).toBe(0);
      expect(await versions("staging")).toContain("6");
    },
    15 * MINUTES,
  );

  it(
    "prod refuses without confirmation; with it, backs up and applies",
    async () => {
      const refused = await up("prod");
      expect(refused.code).not.toBe(0);
      expect(refused.all).toContain('Refusing to deploy stack "prod"');
      const before = readdirSync(join(project.dir, "..", "backups")).length;
      expect((await up("prod", CONFIRMED)).code).toBe(0);
      expect(await versions("prod")).toContain("6");
      expect(readdirSync(join(project.dir, "..", "backups")).length).toBe(before + 1);
    },
    15 * MINUTES,
  );

  it(
    "an applied file edited afterwards blocks the next up, saying what differs",
    async () => {
      const file = join(project.dir, "migrations", NEW);
      const applied = readFileSync(file, "utf8");
      writeFileSync(file, applied.replace("notes text", "notes varchar(200)"));
      const r = await up("dev");
      writeFileSync(file, applied);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain(`${NEW} changed after it was applied`);
    },
    10 * MINUTES,
  );

  it(
    "a failure mid-batch records exactly the migrations applied before it, and names the file",
    async () => {
      writeFileSync(
        join(project.dir, "migrations", "0007_ok.sql"),
        "-- migrate:up\nCREATE TABLE e2e_ok (id int);\n\n-- migrate:down\nDROP TABLE e2e_ok;\n",
      );
      writeFileSync(
        join(project.dir, "migrations", "0008_broken.sql"),
        "-- migrate:up\nCREATE TABLE e2e_broken (id int);\nSELECT no_such_column FROM e2e_broken;\n\n-- migrate:down\nDROP TABLE e2e_broken;\n",
      );
      const r = await up("dev");
      expect(r.code).not.toBe(0);
      expect(r.all).toContain("0008_broken.sql");
      // The stack's outputs stay as the last successful up left them; the resource's state follows
      // the database.
      const ledger = (await resourceState("dev")).ledger.map((m) => m.version);
      expect(ledger).toContain("7");
      expect(ledger).not.toContain("8");
      const history = await withAdmin(
        async (c) =>
          (
            await c.query(
              "select version::text from precog_migrations.history order by precog_migrations.history.version",
            )
          ).rows.map((x) => x.version),
        "precog_dev",
      );
      expect(history).toEqual(ledger);
    },
    10 * MINUTES,
  );

  it(
    "a state recorded with the ledger as JSON text (before the summary) is rewritten by the next up, which applies nothing",
    async () => {
      // The failed file of the test before goes; what the database has (0007 included) stays.
      rmSync(join(project.dir, "migrations", "0008_broken.sql"));
      const before = await historyOf("precog_dev");
      const exported = JSON.parse((await project.ok(["stack", "export", "--stack", "dev"])).stdout);
      const r = exported.deployment.resources.find(
        (x: { type: string }) => x.type === "precog-migrations:index:Migrations",
      );
      const { applied, ...rest } = r.outputs;
      // The summary lists the newest hundred: every one this suite applies.
      const entries = appliedEntries(applied.recent);
      expect(entries).toHaveLength(applied.count);
      r.outputs = { ...rest, ledgerJson: JSON.stringify(entries) };
      const file = join(project.dir, "..", "old-state.json");
      writeFileSync(file, JSON.stringify(exported));
      await project.ok(["stack", "import", "--stack", "dev", "--file", file]);
      const imported = await migrationOutputs("dev");
      expect([imported.applied, typeof imported.ledgerJson]).toEqual([undefined, "string"]);

      const r2 = await up("dev");
      expect(r2.code).toBe(0);
      expect(r2.all).toMatch(/1 updated/);
      expect(await versions("dev")).toEqual(before);
      expect((await resourceState("dev")).ledger.map((m) => m.version)).toEqual(before);
      expect(await historyOf("precog_dev")).toEqual(before);
      expect((await project.run(["preview", "--expect-no-changes", "--stack", "dev"])).code).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "down on dev refreshes dev's recorded ledger, so test refuses the rolled-back migration (issue 30 item 3)",
    async () => {
      // dev has 7 (0007_ok.sql, the mid-batch test's), and records it; test has not applied it yet.
      expect(await versions("dev")).toContain("7");
      expect(await historyOf("precog_test")).not.toContain("7");
      const rolled = await precogDb("down", "dev");
      expect([rolled.code, rolled.stderr]).toEqual([0, expect.stringContaining("Rolled back 1 migration(s).")]);
      expect(rolled.stderr).toContain(
        `precog-db down: refreshing stack "dev"'s recorded ledger ("test"'s stack-order gate reads the ledger stack "dev" records)`,
      );
      expect(rolled.stderr).toContain('  stack "dev": recorded ledger refreshed from precog_dev');
      expect(await historyOf("precog_dev")).not.toContain("7");
      // The stack's outputs and the resource's state, which test's gate reads, follow the database.
      expect(await versions("dev")).toEqual(await historyOf("precog_dev"));
      expect((await resourceState("dev")).ledger.map((m) => m.version)).toEqual(await historyOf("precog_dev"));

      const refused = await up("test");
      expect(refused.code).not.toBe(0);
      expect(refused.all).toContain(
        'Refusing to apply migrations on stack "test": the stack before it, "dev", must apply each first',
      );
      expect(refused.all).toMatch(
        /7_ok\.sql \(checksum [0-9a-f]{12}\): stack "dev" has not applied it; stack "test" lacks it until "dev" does/,
      );
      expect(await historyOf("precog_test")).not.toContain("7");
      const out = await project.outputs("dev", true);
      for (const role of ["migrator", "app", "readonly"])
        expect(`${rolled.stdout}${rolled.stderr}`.includes(out.credentials[role].password)).toBe(false);
    },
    15 * MINUTES,
  );

  it(
    "no password appears in plaintext in the state or the engine's output",
    async () => {
      const out = await project.outputs("prod", true);
      const transcript = project.transcript.filter((t) => !t.includes("--show-secrets")).join("\n");
      const state = (await project.run(["stack", "export", "--stack", "prod"])).stdout;
      for (const role of ["migrator", "app", "readonly"]) {
        expect(transcript.includes(out.credentials[role].password)).toBe(false);
        expect(state.includes(out.credentials[role].password)).toBe(false);
      }
    },
    5 * MINUTES,
  );
});
