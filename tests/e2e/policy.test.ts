/**
 * The policy pack through the real engine: every preview and up of the end-to-end runs carries
 * `--policy-pack policy` (testbed/pulumi-project.ts). Here, a local stack that breaks a mandatory
 * rule is refused before anything is created, and a stack that keeps them passes with the advisory
 * findings shown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import { databaseOwner, roleFacts } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject, withPolicyPack } from "../../testbed/pulumi-project";

const MINUTES = 60_000;
const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", PRECOG_OPERATOR: "policy-e2e" };
let project: PulumiProject;
let cluster: LocalCluster;

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev", "prod"]));
}, 20 * MINUTES);

afterAll(() => closeSuite(project, cluster));

describe("withPolicyPack", () => {
  it("adds the pack to preview and up only, and keeps a pack the caller names", async () => {
    expect(withPolicyPack(["up", "--yes"], "/p")).toEqual(["up", "--yes", "--policy-pack", "/p"]);
    expect(withPolicyPack(["preview", "--stack", "dev"], "/p")).toEqual([
      "preview",
      "--stack",
      "dev",
      "--policy-pack",
      "/p",
    ]);
    expect(withPolicyPack(["destroy", "--yes"], "/p")).toEqual(["destroy", "--yes"]);
    expect(withPolicyPack(["up", "--policy-pack", "/other"], "/p")).toEqual(["up", "--policy-pack", "/other"]);
  });
});

describe.sequential("the policy pack, through the real engine", () => {
  it(
    "refuses prod with unprotected data resources before anything is created, naming each resource",
    async () => {
      // Without its predecessor (staging, never deployed in this copy), so that the preview reaches the
      // policies instead of stopping at the stack-order gate.
      const r = await project.runWithConfig(
        "prod",
        { "precog:protect": false, "precog:migrations.predecessor": undefined },
        ["up", "--yes", "--stack", "prod"],
        CONFIRMED,
      );
      expect(r.code).not.toBe(0);
      expect(r.all).toContain("precog-strategy@v0.1.0");
      for (const name of [
        "precog-prod-db-database",
        "precog-prod-db-role-app",
        "precog-prod-db-role-owner",
        "precog-prod-db-role-readonly",
        "precog-prod-password-app",
      ]) {
        expect(r.all).toMatch(new RegExp(`\\[mandatory\\]\\s+prod-data-protected\\s+\\([^)]*: ${name}\\)`));
      }
      expect(r.all).toContain("is not protected on prod; set precog:protect: true");
      // The preview before the update refused it: the update never started, not even the stack's root.
      expect(await project.stateUrns("prod")).toEqual([]);
      expect(await databaseOwner("precog_prod")).toBeUndefined();
      expect(await roleFacts("precog_prod_owner")).toBeUndefined();
    },
    10 * MINUTES,
  );

  it(
    "lets dev through: its migration component comes after the roles and grants",
    async () => {
      const r = await project.ok(["up", "--yes", "--stack", "dev"]);
      expect(r.all).toContain("Loading policy packs...: done");
      expect(r.all).not.toMatch(/migrations-after-roles/);
      expect(r.all).not.toContain("[mandatory]");
      const again = await project.ok(["preview", "--stack", "dev"]);
      expect(again.all).not.toContain("[mandatory]");
    },
    10 * MINUTES,
  );
});
