/**
 * The migration component through the real Pulumi CLI and the project's migration plugin, on a
 * cluster of its own, with the owned-parts program (./owned-program.ts) inline: the twin of
 * tests/e2e/migrations.test.ts where the upstream plugins are missing. On dev: preview names what
 * is pending and the lint's findings on an unsafe file; up applies migrations/ as the owner role
 * and a second up runs nothing; an applied file edited afterwards blocks the next up; a failure
 * mid-batch leaves the resource's ledger as the database's history; the migrator's password is in
 * the provider's config only, and never appears in plaintext in the state or in what the engine
 * printed.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerEntry } from "../../src/migrate";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { asRole, probeServer, withAdmin } from "../../testbed/probes";
import { type InlineProgram, InlineProject } from "./inline-project";
import { appliedOf, MIGRATIONS_TYPE, ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

const MINUTES = 60_000;
const STACKS = ["dev", "test", "staging", "prod"];
let cluster: LocalCluster;
let project: InlineProject;
let passwords: Record<"migrator" | "app" | "readonly", string>;
let dev: InlineProgram;

/** The migration resource's recorded ledger (its state's summary, which the next diff compares with). */
async function recordedLedger(stack: string): Promise<{ version: string; checksum: string }[]> {
  const [r] = await project.resourcesOf(stack, MIGRATIONS_TYPE);
  return appliedOf(r.outputs?.applied);
}
/** Each entry's version and checksum: what the summary keeps of a ledger. */
const refs = (ledger: readonly LedgerEntry[]) => ledger.map(({ version, checksum }) => ({ version, checksum }));
/** precog_migrations.history as the ledger lists it. */
const historyOf = (database: string): Promise<LedgerEntry[]> =>
  withAdmin(
    async (c) =>
      (
        await c.query(
          "select version::text as version, name, checksum, applied_at, applied_by from precog_migrations.history order by precog_migrations.history.version",
        )
      ).rows.map((r) => ({
        version: r.version,
        name: r.name,
        checksum: r.checksum,
        appliedAt: new Date(r.applied_at).toISOString(),
        appliedBy: r.applied_by,
      })),
    database,
  );
/** The server log's lines from `from` (a byte offset) on, written by sessions of `user`. */
function logLinesOf(user: string, from: number): string[] {
  const log = readFileSync(cluster.logFile).subarray(from).toString("utf8");
  return log.split("\n").filter((l) => l.includes(` ${user}@`));
}
const migrationFiles = () =>
  readdirSync(join(project.dir, "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort();

beforeAll(async () => {
  // Every statement in the server log, with its session's user: what the second up ran, if anything.
  cluster = await startLocalCluster([
    { name: "log_statement", value: "all" },
    { name: "log_line_prefix", value: "%m [%p] %u@%d " },
  ]);
  probeServer(cluster);
  project = await InlineProject.open();
  for (const stack of STACKS) project.useLocalServer(stack, cluster);
  passwords = await prepareDatabase(await stackConfig(project, "dev"));
  dev = ownedProgram(project.dir, passwords.migrator);
}, 20 * MINUTES);

afterAll(() => {
  project?.remove();
  cluster?.stop();
});

describe.sequential("the migration component, through the real engine and the project's plugin", () => {
  it(
    "preview names every pending migration and the lint's findings on an unsafe one, and applies nothing",
    async () => {
      const unsafe = join(project.dir, "migrations", "0006_unsafe.sql");
      writeFileSync(
        unsafe,
        "-- migrate:up\nALTER TABLE markets DROP COLUMN title;\nDELETE FROM markets;\n\n-- migrate:down\nSELECT 1;\n",
      );
      const files = migrationFiles();
      const r = await project.preview("dev", dev, { diff: true });
      rmSync(unsafe);
      expect(r.ok).toBe(true);
      expect(files).toHaveLength(6);
      expect(r.output).toContain(`pending migrations: ${files.join(", ")}\n`);
      expect(r.output.split("\n").filter((l) => l.startsWith("warning: "))).toEqual([
        "warning: 0006_unsafe.sql:2:1 drop-column: DROP COLUMN title on public.markets destroys its data: first deploy code that no longer reads or writes it, then remove it in a migration of its own approved with the reason (-- lint:approve <rule>: <why>) (ALTER TABLE markets DROP COLUMN title)",
        "warning: 0006_unsafe.sql:3:1 delete-without-where: DELETE FROM public.markets has no WHERE: it removes every row; change the rows you mean, in batches small enough to hold their row locks briefly (WHERE id BETWEEN ...), or run the backfill outside migrations (DELETE FROM markets)",
      ]);
      expect(r.changes).toEqual({ create: 4 });
      const schemas = await withAdmin(
        async (c) => (await c.query("select nspname from pg_namespace where nspname = 'precog_migrations'")).rowCount,
        "precog_dev",
      );
      expect(schemas).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "up applies migrations/ logged in as the migrator, acting as the owner: every object is the owner's, and the ledger is the stack's output",
    async () => {
      const logFrom = statSync(cluster.logFile).size;
      const r = await project.up("dev", dev);
      expect([r.ok, r.changes]).toEqual([true, { create: 4 }]);
      const out = await project.outputs("dev");
      const history = await historyOf("precog_dev");
      expect(history.map((m) => `${m.version.padStart(4, "0")}_${m.name}.sql`)).toEqual(migrationFiles());
      expect(out.schemaVersion).toBe("5");
      // The output is the ledger's summary: count, newest, digest, the newest hundred's versions and checksums (all 5 here).
      expect(out.migrations).toEqual({
        count: 5,
        newest: "5",
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        recent: expect.any(String),
        olderDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(appliedOf(out.migrations)).toEqual(refs(history));
      expect(await recordedLedger("dev")).toEqual(refs(history));
      expect(logLinesOf("precog_dev_migrator", logFrom).length).toBeGreaterThan(0);

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
      const schemaOwner = await withAdmin(
        async (c) =>
          (
            await c.query(
              "select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'precog_migrations'",
            )
          ).rows[0].owner,
        "precog_dev",
      );
      expect(schemaOwner).toBe("precog_dev_owner");
      // The owner's default privileges (from the privilege plan) reach the app and read-only roles.
      const tables = await withAdmin(
        async (c) =>
          (await c.query("select tablename from pg_tables where schemaname = 'public' order by 1")).rows.map(
            (x) => x.tablename as string,
          ),
        "precog_dev",
      );
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) {
        await asRole("precog_dev_user", passwords.app, "precog_dev", (c) => c.query(`select count(*) from ${t}`));
        await asRole("precog_dev_readonly", passwords.readonly, "precog_dev", (c) =>
          c.query(`select count(*) from ${t}`),
        );
      }
    },
    10 * MINUTES,
  );

  it(
    "a second up changes nothing and runs no statement as the migrator; preview expects no changes",
    async () => {
      const before = await historyOf("precog_dev");
      const logFrom = statSync(cluster.logFile).size;
      const r = await project.up("dev", dev);
      expect([r.ok, r.changes]).toEqual([true, { same: 4 }]);
      const preview = await project.preview("dev", dev, { expectNoChanges: true });
      expect([preview.ok, preview.changes]).toEqual([true, { same: 4 }]);
      expect(preview.output).not.toContain("pending migrations:");
      expect(logLinesOf("precog_dev_migrator", logFrom)).toEqual([]);
      expect(await historyOf("precog_dev")).toEqual(before);
    },
    10 * MINUTES,
  );

  it(
    "an applied file edited afterwards blocks the next up, naming the file",
    async () => {
      const name = "0005_trades_model_id_index.sql";
      const file = join(project.dir, "migrations", name);
      const applied = readFileSync(file, "utf8");
      const before = await historyOf("precog_dev");
      const edited = applied.replace("ON trades (model_id)", "ON trades (model_id, id)");
      expect(edited).not.toBe(applied);
      writeFileSync(file, edited);
      const r = await project.up("dev", dev);
      writeFileSync(file, applied);
      expect(r.ok).toBe(false);
      expect(r.output).toContain("Migration drift on dev: the recorded ledger and the migration files disagree:");
      expect(r.output).toMatch(
        new RegExp(
          `${name} changed after it was applied \\(applied ${before[4].checksum.slice(0, 12)}, file [0-9a-f]{12}\\): restore the applied content`,
        ),
      );
      expect(await historyOf("precog_dev")).toEqual(before);
      expect(await recordedLedger("dev")).toEqual(refs(before));
    },
    10 * MINUTES,
  );

  it(
    "a failure mid-batch records exactly the migrations applied before it, and names the file",
    async () => {
      writeFileSync(
        join(project.dir, "migrations", "0006_ok.sql"),
        "-- migrate:up\nCREATE TABLE engine_ok (id int);\n\n-- migrate:down\nDROP TABLE engine_ok;\n",
      );
      writeFileSync(
        join(project.dir, "migrations", "0007_broken.sql"),
        "-- migrate:up\nCREATE TABLE engine_broken (id int);\nSELECT no_such_column FROM engine_broken;\n\n-- migrate:down\nDROP TABLE engine_broken;\n",
      );
      const r = await project.up("dev", dev);
      expect(r.ok).toBe(false);
      expect(r.output).toContain("0007_broken.sql");
      expect(r.output).toContain("the ledger records the 6 migration(s) the database has");
      const ledger = await recordedLedger("dev");
      expect(ledger.map((m) => m.version)).toEqual(["1", "2", "3", "4", "5", "6"]);
      expect(ledger).toEqual(refs(await historyOf("precog_dev")));
      const broken = await withAdmin(
        async (c) => (await c.query("select to_regclass('public.engine_broken') as t")).rows[0].t,
        "precog_dev",
      );
      expect(broken).toBeNull();
    },
    10 * MINUTES,
  );

  it(
    "the migrator's password appears in plaintext neither in the state nor in what the engine printed",
    async () => {
      const state = JSON.stringify(await project.exportState("dev"));
      const [resource] = await project.resourcesOf("dev", MIGRATIONS_TYPE);
      // The resource has where its login is, no secret; the password is the provider's config, encrypted.
      for (const side of [resource.inputs, resource.outputs]) {
        expect(side?.login).toMatchObject({ kind: "provider-config", user: "precog_dev_migrator" });
        expect(JSON.stringify(side)).not.toContain("4dabf18193072939515e22adb298388d");
      }
      const [provider] = await project.resourcesOf("dev", "pulumi:providers:precog-migrations");
      expect(provider.inputs?.migratorPassword).toEqual({
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        ciphertext: expect.any(String),
      });
      const printed = project.printed();
      expect(printed).toContain("pending migrations:");
      for (const role of ["migrator", "app", "readonly"] as const) {
        expect(state.includes(passwords[role])).toBe(false);
        expect(printed.includes(passwords[role])).toBe(false);
      }
    },
    5 * MINUTES,
  );
});
