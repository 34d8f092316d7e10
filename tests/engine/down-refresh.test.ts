/**
 * Issue 30 item 3 under the real Pulumi CLI, with the owned-parts program (./owned-program.ts)
 * inline: `down` on dev leaves dev's recorded ledger stale, and test's stack-order gate reads only
 * that ledger (a StackReference to dev's `migrations` output). What `precog-db down` runs after
 * its rollback (src/cli/ledger-refresh.ts), `pulumi refresh --run-program --target <the migration
 * resource>`, brings dev's ledger in line, and test refuses the rolled-back migration. The URN
 * comes from src/cli/local-stack.ts, as the command finds it; the end-to-end twin, with the
 * command itself, is in tests/e2e/migrations.test.ts.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStack } from "../../src/cli/local-stack";
import type { PrecogConfig } from "../../src/config/parse";
import { down } from "../../src/migrate/down";
import type { LocalCluster } from "../../testbed/local-cluster";
import { withAdmin } from "../../testbed/probes";
import { recordedVersions } from "../helpers/recorded";
import type { InlineProgram, InlineProject } from "./inline-project";
import { appliedVersions, MIGRATIONS_TYPE } from "./owned-program";
import { type StacksOnCluster, stacksOnCluster } from "./stacks-on-cluster";

const MINUTES = 60_000;
const NOTES = "0006_market_notes.sql";
let onCluster: StacksOnCluster<"dev" | "test">;
let cluster: LocalCluster;
let project: InlineProject;
let devConfig: PrecogConfig;
let devMigrator: string;
let programs: Record<"dev" | "test", InlineProgram>;

const versions = async (stack: "dev" | "test") => appliedVersions((await project.outputs(stack)).migrations);
const historyOf = (database: string) =>
  withAdmin(
    async (c) =>
      (await c.query("select version::text from precog_migrations.history order by history.version")).rows.map(
        (x) => x.version as string,
      ),
    database,
  );

beforeAll(async () => {
  onCluster = await stacksOnCluster(["dev", "test"] as const);
  ({ cluster, project, programs } = onCluster);
  [devConfig, devMigrator] = [onCluster.configs.dev, onCluster.passwords.dev.migrator];
}, 20 * MINUTES);

afterAll(() => onCluster?.close());

/** precog-db down's engine on dev's database, as dev's migrator acting as its owner role. */
const downOnDev = () =>
  down({
    connection: {
      host: cluster.host,
      port: cluster.port,
      user: devConfig.roleNames.migrator,
      password: devMigrator,
      database: devConfig.database,
    },
    ownerRole: devConfig.roleNames.owner,
    dir: join(project.dir, "migrations"),
    environment: "dev",
    operator: "engine-operator",
  });

describe.sequential("down on dev, then test", () => {
  it(
    "refuses the rolled-back migration once dev's ledger is refreshed from its database",
    async () => {
      for (const stack of ["dev", "test"] as const) {
        const r = await project.up(stack, programs[stack]);
        expect([stack, r.ok], r.output).toEqual([stack, true]);
      }
      writeFileSync(
        join(project.dir, "migrations", NOTES),
        "-- migrate:up\nALTER TABLE markets ADD COLUMN notes text;\n\n-- migrate:down\nALTER TABLE markets DROP COLUMN notes;\n",
      );
      const applied = await project.up("dev", programs.dev);
      expect(applied.ok, applied.output).toBe(true);
      expect(await versions("dev")).toEqual(["1", "2", "3", "4", "5", "6"]);
      expect(await versions("test")).toEqual(["1", "2", "3", "4", "5"]);

      const rolled = await downOnDev();
      expect(rolled.rolledBack.map((m) => m.version)).toEqual(["0006"]);
      expect(await historyOf(devConfig.database)).toEqual(["1", "2", "3", "4", "5"]);
      // The defect: dev's recorded ledger still lists 6, and test's gate reads only that.
      expect(await versions("dev")).toContain("6");

      // What the command runs: the migration resource's URN as it finds it in dev's state.
      const urn = await new LocalStack("dev", project.dir, project.copy.environment()).migrationResourceUrn();
      expect([urn]).toEqual((await project.resourcesOf("dev", MIGRATIONS_TYPE)).map((r) => r.urn));
      const refreshed = await project.refresh("dev", programs.dev, { target: [urn] });
      expect(refreshed.ok, refreshed.output).toBe(true);
      expect(await versions("dev")).toEqual(["1", "2", "3", "4", "5"]);
      expect((await project.outputs("dev")).schemaVersion).toBe("5");
      const [resource] = await project.resourcesOf("dev", MIGRATIONS_TYPE);
      expect(recordedVersions(resource.outputs ?? {})).toEqual(["1", "2", "3", "4", "5"]);

      const refused = await project.up("test", programs.test);
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain(
        'Refusing to apply migrations on stack "test": the stack before it, "dev", must apply each first (dev -> test -> staging -> prod):',
      );
      expect(refused.output).toMatch(
        /6_market_notes\.sql \(checksum [0-9a-f]{12}\): stack "dev" has not applied it; stack "test" lacks it until "dev" does/,
      );
      expect(await historyOf("precog_test")).toEqual(["1", "2", "3", "4", "5"]);
      expect(await versions("test")).toEqual(["1", "2", "3", "4", "5"]);
    },
    20 * MINUTES,
  );

  it(
    "a plain pulumi refresh after the folder changed since the last up refreshes from the database, without an error",
    async () => {
      // dev applies 6 again, then down rolls it back and its file goes: the recorded inputs name 6 files, the folder has 5.
      expect((await project.up("dev", programs.dev)).ok).toBe(true);
      expect(await historyOf(devConfig.database)).toEqual(["1", "2", "3", "4", "5", "6"]);
      await downOnDev();
      rmSync(join(project.dir, "migrations", NOTES));
      const refreshed = await project.refresh("dev", programs.dev, { runProgram: false });
      expect(refreshed.ok, refreshed.output).toBe(true);
      const [resource] = await project.resourcesOf("dev", MIGRATIONS_TYPE);
      expect(recordedVersions(resource.outputs ?? {})).toEqual(["1", "2", "3", "4", "5"]);
      // The next up records the folder's digest; nothing is pending.
      expect((await project.up("dev", programs.dev)).ok).toBe(true);
      expect((await project.preview("dev", programs.dev, { expectNoChanges: true })).ok).toBe(true);
    },
    20 * MINUTES,
  );
});
