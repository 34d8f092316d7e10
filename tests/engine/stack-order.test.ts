/**
 * The stack-order gate across stacks through the real Pulumi CLI, with the owned-parts program
 * (./owned-program.ts) inline: dev, test, staging and prod in one file backend on a cluster of
 * their own, each stack's gate reading its predecessor's `migrations` output through a
 * StackReference. A new migration is refused by test until dev has applied it, by staging until
 * test has; prod refuses to run without PRECOG_PROD_CONFIRMED=yes (PRECOG_PROD_PREVIEW=yes lets a
 * preview run, never an up), and with it takes a pg_dump of the database before applying. The twin
 * of that part of tests/e2e/migrations.test.ts.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import { withAdmin } from "../../testbed/probes";
import type { InlineProgram, InlineProject } from "./inline-project";
import { appliedOf, appliedVersions, MIGRATIONS_TYPE } from "./owned-program";
import { type StacksOnCluster, stacksOnCluster } from "./stacks-on-cluster";

const MINUTES = 60_000;
const STACKS = ["dev", "test", "staging", "prod"] as const;
type StackName = (typeof STACKS)[number];
const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "engine-operator" };
const NOTES = "0006_market_notes.sql";
const AUDIT = "0007_order_audit.sql";
let onCluster: StacksOnCluster<StackName>;
let cluster: LocalCluster;
let project: InlineProject;
let programs: Record<StackName, InlineProgram>;

const up = (stack: StackName, env: Record<string, string> = {}) => project.up(stack, programs[stack], { env });
const historyOf = async (stack: StackName) =>
  withAdmin(
    async (c) =>
      (
        await c.query("select version::text from precog_migrations.history order by precog_migrations.history.version")
      ).rows.map((x) => x.version as string),
    `precog_${stack}`,
  );
const versions = async (stack: StackName) => appliedVersions((await project.outputs(stack)).migrations);
const checksumOn = async (stack: StackName, version: string) =>
  appliedOf((await project.outputs(stack)).migrations).find((m) => m.version === version)?.checksum;
const backups = (prefix: string) =>
  readdirSync(project.backupDir)
    .filter((f) => f.startsWith(`${prefix}-`))
    .sort();
/** A new migration file in the copy's migrations/. */
const addMigration = (name: string, up: string, down: string) =>
  writeFileSync(join(project.dir, "migrations", name), `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`);

beforeAll(async () => {
  onCluster = await stacksOnCluster(STACKS);
  ({ cluster, project, programs } = onCluster);
}, 20 * MINUTES);

afterAll(() => onCluster?.close());

describe.sequential("the stack-order gate, through StackReferences in one backend", () => {
  it(
    "dev, test, staging and prod apply migrations/ in that order",
    async () => {
      for (const stack of STACKS) {
        const r = await up(stack, stack === "prod" ? CONFIRMED : {});
        expect([stack, r.ok]).toEqual([stack, true]);
        expect(await versions(stack)).toEqual(["1", "2", "3", "4", "5"]);
        expect(await historyOf(stack)).toEqual(["1", "2", "3", "4", "5"]);
      }
      expect(backups("staging")).toHaveLength(1);
      expect(backups("prod")).toHaveLength(1);
    },
    15 * MINUTES,
  );

  it(
    "test refuses a new migration until dev has applied it, naming both stacks, then applies it",
    async () => {
      addMigration(NOTES, "ALTER TABLE markets ADD COLUMN notes text;", "ALTER TABLE markets DROP COLUMN notes;");
      const refused = await up("test");
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain(
        'Refusing to apply migrations on stack "test": the stack before it, "dev", must apply each first (dev -> test -> staging -> prod):',
      );
      const problem =
        /6_market_notes\.sql \(checksum ([0-9a-f]{12})\): stack "dev" has not applied it; stack "test" lacks it until "dev" does/;
      expect(refused.output).toMatch(problem);
      expect(refused.output).toContain('Deploy "dev" first (pulumi up --stack dev), then this stack.');
      // A preview is refused the same way, before anything runs.
      const preview = await project.preview("test", programs.test);
      expect(preview.ok).toBe(false);
      expect(preview.output).toMatch(problem);
      expect(await historyOf("test")).not.toContain("6");
      // A refused stack keeps the ledger of its last successful up, which the next stack's gate reads.
      expect(await versions("test")).toEqual(["1", "2", "3", "4", "5"]);

      expect((await up("dev")).ok).toBe(true);
      expect(await versions("dev")).toContain("6");
      expect(refused.output.match(problem)?.[1]).toBe((await checksumOn("dev", "6"))?.slice(0, 12));
      expect((await up("test")).ok).toBe(true);
      expect(await versions("test")).toEqual(["1", "2", "3", "4", "5", "6"]);
      expect(await historyOf("test")).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    15 * MINUTES,
  );

  it(
    "staging refuses a migration until test has applied it, naming only that one, then applies both new ones",
    async () => {
      addMigration(
        AUDIT,
        "CREATE TABLE order_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL);",
        "DROP TABLE order_audit;",
      );
      expect((await up("dev")).ok).toBe(true);
      const refused = await up("staging");
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain(
        'Refusing to apply migrations on stack "staging": the stack before it, "test", must apply each first',
      );
      expect(refused.output).toMatch(
        /7_order_audit\.sql \(checksum [0-9a-f]{12}\): stack "test" has not applied it; stack "staging" lacks it until "test" does/,
      );
      // 6 is not among the problems: test has it with the same checksum.
      expect(refused.output).not.toMatch(/6_market_notes\.sql \(checksum/);
      expect(await historyOf("staging")).toEqual(["1", "2", "3", "4", "5"]);
      expect(await versions("staging")).toEqual(["1", "2", "3", "4", "5"]);

      expect((await up("test")).ok).toBe(true);
      const before = backups("staging");
      expect((await up("staging")).ok).toBe(true);
      expect(await versions("staging")).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
      expect(await historyOf("staging")).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
      expect(backups("staging").filter((f) => !before.includes(f))).toEqual([
        expect.stringMatching(/^staging-\d{8}T\d{6}Z-5-to-0007\.dump$/),
      ]);
    },
    15 * MINUTES,
  );

  it(
    "prod refuses without PRECOG_PROD_CONFIRMED=yes; with it, takes a pg_dump first and applies",
    async () => {
      const before = backups("prod");
      for (const confirmed of [undefined, "true"]) {
        const refused = await up("prod", confirmed === undefined ? {} : { PRECOG_PROD_CONFIRMED: confirmed });
        expect(refused.ok).toBe(false);
        expect(refused.output).toContain(
          `error: Refusing to deploy stack "prod" (database precog_prod on local server 127.0.0.1:${cluster.port}) on prod: PRECOG_PROD_CONFIRMED is not "yes".`,
        );
      }
      expect(backups("prod")).toEqual(before);
      expect(await historyOf("prod")).toEqual(["1", "2", "3", "4", "5"]);

      // CI's ungated preview job: PRECOG_PROD_PREVIEW=yes lets a preview run, and never an up.
      const previewOnly = { PRECOG_PROD_PREVIEW: "yes", PRECOG_OPERATOR: "ci-preview" };
      const previewed = await project.preview("prod", programs.prod, { env: previewOnly });
      // The pending migrations as an update; the read is the StackReference to staging.
      expect([previewed.ok, previewed.changes]).toEqual([true, { read: 1, same: 3, update: 1 }]);
      expect(previewed.output).toContain(
        `warning: PROD preview by ci-preview (PRECOG_PROD_PREVIEW=yes, preview only: an up needs PRECOG_PROD_CONFIRMED=yes): target database precog_prod on local server 127.0.0.1:${cluster.port}.`,
      );
      const upRefused = await up("prod", previewOnly);
      expect(upRefused.ok).toBe(false);
      expect(upRefused.output).toContain(
        `error: Refusing to deploy stack "prod" (database precog_prod on local server 127.0.0.1:${cluster.port}) on prod: PRECOG_PROD_CONFIRMED is not "yes".`,
      );
      expect(backups("prod")).toEqual(before);
      expect(await historyOf("prod")).toEqual(["1", "2", "3", "4", "5"]);

      const r = await up("prod", CONFIRMED);
      expect(r.ok).toBe(true);
      expect(r.output).toContain(
        `warning: PROD deployment confirmed by engine-operator (PRECOG_PROD_CONFIRMED=yes): target database precog_prod on local server 127.0.0.1:${cluster.port}.`,
      );
      expect(await versions("prod")).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
      const appliedBy = await withAdmin(
        async (c) =>
          (
            await c.query("select applied_by from precog_migrations.history where version > 5 order by version")
          ).rows.map((x) => x.applied_by as string),
        "precog_prod",
      );
      expect(appliedBy).toEqual(["engine-operator", "engine-operator"]);
      const added = backups("prod").filter((f) => !before.includes(f));
      expect(added).toEqual([expect.stringMatching(/^prod-\d{8}T\d{6}Z-5-to-0007\.dump$/)]);
      const [resource] = await project.resourcesOf("prod", MIGRATIONS_TYPE);
      expect(resource.outputs?.lastBackup).toBe(join(project.backupDir, added[0]));
      expect(resource.protect).toBe(true);
      // Taken before the apply: the dump has the history table and markets, but not what 7 creates.
      const listing = execFileSync("pg_restore", ["--list", join(project.backupDir, added[0])], { encoding: "utf8" });
      expect(listing).toMatch(/TABLE public markets /);
      expect(listing).toMatch(/TABLE precog_migrations history /);
      expect(listing).not.toMatch(/order_audit/);
    },
    15 * MINUTES,
  );
});
