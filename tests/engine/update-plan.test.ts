/**
 * Reviewed plans through the real Pulumi CLI and the project's plugin, on a cluster of its own, with
 * the owned-parts program (./owned-program.ts) inline: `pulumi preview --save-plan` then `pulumi up
 * --plan` applies exactly what was previewed while migrations are pending (nothing in the
 * migration resource's inputs differs between a preview and an up), and the engine refuses the
 * plan once something changed between the two: a new migration file, or a pending file edited.
 * Update plans are experimental in Pulumi: PULUMI_EXPERIMENTAL=true.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { probeServer, withAdmin } from "../../testbed/probes";
import { type InlineProgram, InlineProject } from "./inline-project";
import { ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

const MINUTES = 60_000;
const EXPERIMENTAL = { PULUMI_EXPERIMENTAL: "true" };
let cluster: LocalCluster;
let project: InlineProject;
let dev: InlineProgram;
let plans: string;

const applied = () =>
  withAdmin(
    async (c) =>
      (
        await c.query("select version::text from precog_migrations.history order by precog_migrations.history.version")
      ).rows.map((r) => r.version as string),
    "precog_dev",
  );
const addMigration = (name: string, sql: string) =>
  writeFileSync(join(project.dir, "migrations", name), `-- migrate:up\n${sql}\n\n-- migrate:down\nSELECT 1;\n`);

beforeAll(async () => {
  cluster = await startLocalCluster();
  probeServer(cluster);
  project = await InlineProject.open();
  project.useLocalServer("dev", cluster);
  dev = ownedProgram(project.dir, (await prepareDatabase(await stackConfig(project, "dev"))).migrator);
  plans = mkdtempSync(join(tmpdir(), "precog-plans-"));
  const r = await project.up("dev", dev);
  if (!r.ok) throw new Error(r.output);
}, 20 * MINUTES);

afterAll(() => {
  project?.remove();
  cluster?.stop();
  if (plans) rmSync(plans, { recursive: true, force: true });
});

describe.sequential("a saved plan of the migration component", () => {
  it(
    "applies while a migration is pending: preview --save-plan, then up --plan",
    async () => {
      addMigration("0006_planned.sql", "CREATE TABLE planned (id int);");
      const plan = join(plans, "pending.json");
      const preview = await project.preview("dev", dev, { plan, env: EXPERIMENTAL });
      expect([preview.ok, preview.changes], preview.output).toEqual([true, { same: 3, update: 1 }]);
      const up = await project.up("dev", dev, { plan, env: EXPERIMENTAL });
      expect([up.ok, up.changes], up.output).toEqual([true, { same: 3, update: 1 }]);
      expect(await applied()).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    10 * MINUTES,
  );

  it(
    "is refused when a migration file is added after the preview, and applies nothing",
    async () => {
      addMigration("0007_reviewed.sql", "CREATE TABLE reviewed (id int);");
      const plan = join(plans, "added.json");
      const preview = await project.preview("dev", dev, { plan, env: EXPERIMENTAL });
      expect(preview.ok, preview.output).toBe(true);
      addMigration("0008_unreviewed.sql", "CREATE TABLE unreviewed (id int);");
      const up = await project.up("dev", dev, { plan, env: EXPERIMENTAL });
      expect(up.ok).toBe(false);
      expect(up.output).toMatch(/precog-dev-migrations[\s\S]*(violates plan|not allowed by plan)/);
      expect(await applied()).toEqual(["1", "2", "3", "4", "5", "6"]);
      rmSync(join(project.dir, "migrations", "0008_unreviewed.sql"));
    },
    10 * MINUTES,
  );

  it(
    "is refused when a pending file is edited after the preview, and applies nothing",
    async () => {
      const plan = join(plans, "edited.json");
      const preview = await project.preview("dev", dev, { plan, env: EXPERIMENTAL });
      expect(preview.ok, preview.output).toBe(true);
      addMigration("0007_reviewed.sql", "CREATE TABLE reviewed (id int, edited int);");
      const up = await project.up("dev", dev, { plan, env: EXPERIMENTAL });
      expect(up.ok).toBe(false);
      expect(up.output).toMatch(/precog-dev-migrations[\s\S]*(violates plan|not allowed by plan)/);
      expect(await applied()).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    10 * MINUTES,
  );
});
