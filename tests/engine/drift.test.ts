/**
 * The drift check of .github/workflows/drift.yml, `pulumi preview --refresh --expect-no-changes`,
 * through the real Pulumi CLI and the project's plugin, on a cluster of its own, with the
 * owned-parts program (./owned-program.ts) inline: nothing changes by design between deploys, so
 * "no changes" means no drift. A rotation of the migrator's password done the way the stack's own
 * rotation does it (the new password recorded by a targeted up, then ALTER ROLE) is no drift; a
 * migration applied outside Pulumi is, and only the refresh finds it (a plain preview reads the
 * ledger the stack recorded).
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scramVerifier } from "../../src/cli/rotate/scram";
import { migrate } from "../../src/migrate";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { probeServer, withAdmin } from "../../testbed/probes";
import { InlineProject } from "./inline-project";
import { ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

const MINUTES = 60_000;
const MIGRATOR = "precog_dev_migrator";
const PROVIDER_URN = "urn:pulumi:dev::precog::pulumi:providers:precog-migrations::precog-dev-migrations-provider";
let cluster: LocalCluster;
let project: InlineProject;
let outside: string;
const rotated = randomBytes(20).toString("hex");

beforeAll(async () => {
  cluster = await startLocalCluster();
  probeServer(cluster);
  project = await InlineProject.open();
  project.useLocalServer("dev", cluster);
  const first = (await prepareDatabase(await stackConfig(project, "dev"))).migrator;
  const r = await project.up("dev", ownedProgram(project.dir, first));
  if (!r.ok) throw new Error(r.output);
  outside = mkdtempSync(join(tmpdir(), "precog-drift-"));
}, 20 * MINUTES);

afterAll(() => {
  project?.remove();
  cluster?.stop();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe.sequential("the drift check: preview --refresh --expect-no-changes", () => {
  it(
    "passes after the migrator's password is rotated the way the stack's rotation does it",
    async () => {
      const program = ownedProgram(project.dir, rotated);
      const recorded = await project.up("dev", program, { target: [PROVIDER_URN] });
      expect(recorded.ok, recorded.output).toBe(true);
      await withAdmin((c) => c.query(`ALTER ROLE ${MIGRATOR} PASSWORD '${scramVerifier(rotated)}'`));
      const check = await project.preview("dev", program, { refresh: true, expectNoChanges: true });
      expect([check.ok, check.changes], check.output).toEqual([true, { same: 4 }]);
    },
    10 * MINUTES,
  );

  it(
    "fails on a migration applied outside Pulumi, naming it; a preview without the refresh does not see it",
    async () => {
      // precog-db migrate's engine, run by hand with a file the project does not have.
      cpSync(join(project.dir, "migrations"), outside, { recursive: true });
      writeFileSync(
        join(outside, "0006_by_hand.sql"),
        "-- migrate:up\nCREATE TABLE by_hand (id int);\n\n-- migrate:down\nDROP TABLE by_hand;\n",
      );
      await migrate({
        connection: {
          host: cluster.host,
          port: cluster.port,
          user: MIGRATOR,
          password: rotated,
          database: "precog_dev",
        },
        ownerRole: "precog_dev_owner",
        dir: outside,
        environment: "dev",
        operator: "someone-by-hand",
      });
      const program = ownedProgram(project.dir, rotated);
      const plain = await project.preview("dev", program, { expectNoChanges: true });
      expect([plain.ok, plain.changes], plain.output).toEqual([true, { same: 4 }]);
      const check = await project.preview("dev", program, { refresh: true, expectNoChanges: true });
      expect(check.ok).toBe(false);
      expect(check.output).toContain("Migration drift on dev: the recorded ledger and the migration files disagree:");
      // The state keeps versions and checksums only (the ledger summary): the name is the history table's.
      expect(check.output).toMatch(
        /version 6 \(checksum [0-9a-f]{12}\) is applied but no file in migrations\/ has that version/,
      );
    },
    10 * MINUTES,
  );

  it(
    "fails on a history row changed by hand, even when every file is there",
    async () => {
      cpSync(join(outside, "0006_by_hand.sql"), join(project.dir, "migrations", "0006_by_hand.sql"));
      const program = ownedProgram(project.dir, rotated);
      // The file now in migrations/: an up records what the database has (it applies nothing, the
      // engine finding the file applied with its checksum), and the check passes again.
      const up = await project.up("dev", program);
      expect(up.ok, up.output).toBe(true);
      const clean = await project.preview("dev", program, { refresh: true, expectNoChanges: true });
      expect([clean.ok, clean.changes], clean.output).toEqual([true, { same: 4 }]);
      await withAdmin(
        (c) => c.query("update precog_migrations.history set checksum = repeat('0', 64) where version = 3"),
        "precog_dev",
      );
      const check = await project.preview("dev", program, { refresh: true, expectNoChanges: true });
      expect(check.ok).toBe(false);
      expect(check.output).toMatch(
        /0003_\w+\.sql changed after it was applied \(applied 000000000000, file [0-9a-f]{12}\)/,
      );
    },
    10 * MINUTES,
  );
});
