/**
 * Upgrades: precog:rds.applyImmediately and allowMajorVersionUpgrade reach the instance (both off
 * by default); the parameter group is named for its family, so a major upgrade's family change
 * makes a group of a new name, created before the old one is deleted (deleteBeforeReplace false),
 * and the instance moves to it.
 */
import { describe, expect, it } from "vitest";
import { runStack } from "./harness";

const PROD = { PRECOG_PROD_CONFIRMED: "yes" };

describe("upgrades and the parameter group", () => {
  it.each(["staging", "prod"] as const)(
    "%s: the group is precog-<env>-<family>, created before the old one goes; modifications wait for the window, no major upgrade",
    async (stack) => {
      const r = await runStack(stack, { vars: PROD });
      const group = r.byName(`precog-${stack}-server-params`);
      expect([group.inputs.name, group.inputs.family, group.opts.deleteBeforeReplace]).toEqual([
        `precog-${stack}-postgres16`,
        "postgres16",
        false,
      ]);
      const instance = r.byName(`precog-${stack}-server-instance`).inputs;
      expect({
        parameterGroupName: instance.parameterGroupName,
        applyImmediately: instance.applyImmediately,
        allowMajorVersionUpgrade: instance.allowMajorVersionUpgrade,
      }).toEqual({
        parameterGroupName: `precog-${stack}-postgres16`,
        applyImmediately: false,
        allowMajorVersionUpgrade: false,
      });
    },
  );

  it("a major upgrade (16 to 17): a new group postgres17 under the same resource, the instance on it, allowed and applied now", async () => {
    const r = await runStack("staging", {
      config: {
        "precog:rds.engineVersion": "17",
        "precog:rds.parameterGroupFamily": "postgres17",
        "precog:rds.allowMajorVersionUpgrade": true,
        "precog:rds.applyImmediately": true,
      },
    });
    const groups = r.ofType("aws:rds/parameterGroup:ParameterGroup");
    expect(groups.map((g) => [g.name, g.inputs.name, g.inputs.family, g.opts.deleteBeforeReplace])).toEqual([
      ["precog-staging-server-params", "precog-staging-postgres17", "postgres17", false],
    ]);
    expect(r.byName("precog-staging-server-instance").inputs).toMatchObject({
      engineVersion: "17",
      parameterGroupName: "precog-staging-postgres17",
      allowMajorVersionUpgrade: true,
      applyImmediately: true,
    });
  });
});
