/**
 * A rotation of the migrator's password through the real Pulumi CLI and the project's plugin, on a
 * cluster of its own, with the owned-parts program (./owned-program.ts) inline: the migration
 * resource's inputs name where its login is (a local stack's: the provider's config), never the
 * password, so after a rotation done the way `precog-db rotate` does it (a targeted `up` that
 * records the new password, which the engine runs for every provider, then ALTER ROLE with a
 * SCRAM verifier), `preview`, `preview --refresh` and `up` expect no changes, and the next
 * migration is applied logged in with the new password. No password is in the state in plaintext.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scramVerifier } from "../../src/cli/rotate/scram";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { probeServer, withAdmin } from "../../testbed/probes";
import { InlineProject } from "./inline-project";
import { MIGRATIONS_TYPE, ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

const MINUTES = 60_000;
const MIGRATOR = "precog_dev_migrator";
const PROVIDER_URN = "urn:pulumi:dev::precog::pulumi:providers:precog-migrations::precog-dev-migrations-provider";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
let cluster: LocalCluster;
let project: InlineProject;
let first: string;
const rotated = randomBytes(20).toString("hex");

/** The server log's lines from `from` (a byte offset) on, written by sessions of `user`. */
function logLinesOf(user: string, from: number): string[] {
  const log = readFileSync(cluster.logFile).subarray(from).toString("utf8");
  return log.split("\n").filter((l) => l.includes(` ${user}@`));
}

beforeAll(async () => {
  cluster = await startLocalCluster([
    { name: "log_connections", value: "on" },
    { name: "log_line_prefix", value: "%m [%p] %u@%d " },
  ]);
  probeServer(cluster);
  project = await InlineProject.open();
  project.useLocalServer("dev", cluster);
  first = (await prepareDatabase(await stackConfig(project, "dev"))).migrator;
  const r = await project.up("dev", ownedProgram(project.dir, first));
  if (!r.ok) throw new Error(r.output);
}, 20 * MINUTES);

afterAll(() => {
  project?.remove();
  cluster?.stop();
});

describe.sequential("a rotation of the migrator's password", () => {
  it(
    "a new password in the program is no change to preview, and the migration resource's inputs hold none",
    async () => {
      const preview = await project.preview("dev", ownedProgram(project.dir, rotated), { expectNoChanges: true });
      expect([preview.ok, preview.changes], preview.output).toEqual([true, { same: 4 }]);
      const [resource] = await project.resourcesOf("dev", MIGRATIONS_TYPE);
      for (const side of [resource.inputs, resource.outputs]) {
        expect(side?.login).toMatchObject({ kind: "provider-config", user: MIGRATOR, ownerRole: "precog_dev_owner" });
        expect(JSON.stringify(side)).not.toContain(SECRET_SIG);
        expect(side?.connection).toBeUndefined();
      }
    },
    10 * MINUTES,
  );

  it(
    "rotated as precog-db rotate does it, preview, preview --refresh and up expect no changes",
    async () => {
      const program = ownedProgram(project.dir, rotated);
      // precog-db rotate's targeted up replaces the password resource; the engine takes every
      // provider into a targeted up, which records the new password in the provider's config.
      // The inline program has no password resource (the random plugin is not here): the target
      // is the provider, which that up reaches the same way.
      const recorded = await project.up("dev", program, { target: [PROVIDER_URN] });
      expect([recorded.ok, recorded.changes], recorded.output).toEqual([true, { same: 4 }]);
      await withAdmin((c) => c.query(`ALTER ROLE ${MIGRATOR} PASSWORD '${scramVerifier(rotated)}'`));

      for (const opts of [{}, { refresh: true }]) {
        const preview = await project.preview("dev", program, { ...opts, expectNoChanges: true });
        expect([opts, preview.ok, preview.changes], preview.output).toEqual([opts, true, { same: 4 }]);
      }
      const up = await project.up("dev", program, { expectNoChanges: true });
      expect([up.ok, up.changes], up.output).toEqual([true, { same: 4 }]);
      const [provider] = (await project.exportState("dev")).resources?.filter((r) => r.urn === PROVIDER_URN) ?? [];
      expect(provider.inputs?.migratorPassword).toEqual({
        [SECRET_SIG]: expect.any(String),
        ciphertext: expect.any(String),
      });
    },
    15 * MINUTES,
  );

  it(
    "the next migration is applied logged in with the new password",
    async () => {
      writeFileSync(
        join(project.dir, "migrations", "0006_after_rotation.sql"),
        "-- migrate:up\nCREATE TABLE after_rotation (id int);\n\n-- migrate:down\nDROP TABLE after_rotation;\n",
      );
      const logFrom = statSync(cluster.logFile).size;
      const r = await project.up("dev", ownedProgram(project.dir, rotated));
      expect([r.ok, r.changes], r.output).toEqual([true, { same: 3, update: 1 }]);
      expect(logLinesOf(MIGRATOR, logFrom).some((l) => l.includes("connection authorized"))).toBe(true);
      const applied = await withAdmin(
        async (c) => (await c.query("select max(version)::text as v from precog_migrations.history")).rows[0].v,
        "precog_dev",
      );
      expect(applied).toBe("6");
    },
    10 * MINUTES,
  );

  it(
    "neither password is in the state or in what the engine printed in plaintext",
    async () => {
      const state = JSON.stringify(await project.exportState("dev"));
      const printed = project.printed();
      for (const password of [first, rotated]) {
        expect(state.includes(password)).toBe(false);
        expect(printed.includes(password)).toBe(false);
      }
    },
    5 * MINUTES,
  );
});
