/**
 * The guards run before anything is registered: prod without confirmation, a stack whose
 * configured environment disagrees with its name, or with PRECOG_ENV, registers nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkEnvironment, confirmProd } from "../../infra/guards";
import { type Recorded, runStack } from "./harness";

/** Runs a stack that must fail, returning the error and the resources that reached the engine. */
async function refused(stack: string, options: Parameters<typeof runStack>[1]) {
  const registered: Recorded[] = [];
  let error: Error | undefined;
  try {
    await runStack(stack, { ...options, sink: registered });
  } catch (e) {
    error = e as Error;
  }
  await new Promise((r) => setTimeout(r, 50));
  return { error, registered: registered.map((r) => r.name) };
}

describe("prod confirmation", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([[{}], [{ PRECOG_PROD_CONFIRMED: "true" }], [{ PRECOG_PROD_CONFIRMED: "YES" }]])(
    "refuses prod with %j",
    async (vars) => {
      const { error, registered } = await refused("prod", { vars });
      expect(registered).toEqual([]);
      expect(error?.message).toBe(
        'Refusing to deploy stack "prod" (database precog_prod on aws server RDS) on prod: PRECOG_PROD_CONFIRMED is not "yes". ' +
          "Prod holds real money; set PRECOG_PROD_CONFIRMED=yes for this command only if you mean it.",
      );
    },
  );

  it("the refusal check itself sees resources when they are registered", async () => {
    const { error, registered } = await refused("prod", { vars: { PRECOG_PROD_CONFIRMED: "yes" } });
    expect(error).toBeUndefined();
    expect(registered.length).toBeGreaterThan(0);
  });

  it("logs a warning naming the user and the target when confirmed", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    const r = await runStack("prod", { vars: { PRECOG_PROD_CONFIRMED: "yes", USER: "ops-alice" } });
    expect(r.resources.length).toBeGreaterThan(0);
    expect(warn).toHaveBeenCalledWith(
      "PROD deployment confirmed by ops-alice (PRECOG_PROD_CONFIRMED=yes): target database precog_prod on aws server RDS.",
    );
  });

  it("lets a preview of prod run with PRECOG_PROD_PREVIEW=yes alone, and never an up", () => {
    const vars = { PRECOG_PROD_PREVIEW: "yes", PRECOG_OPERATOR: "ci-preview" };
    expect(confirmProd("prod", "database precog_prod on aws server RDS", vars, true)).toBe(
      "PROD preview by ci-preview (PRECOG_PROD_PREVIEW=yes, preview only: an up needs PRECOG_PROD_CONFIRMED=yes): target database precog_prod on aws server RDS.",
    );
    const refusal =
      'Refusing to deploy stack "prod" (x) on prod: PRECOG_PROD_CONFIRMED is not "yes". ' +
      "Prod holds real money; set PRECOG_PROD_CONFIRMED=yes for this command only if you mean it.";
    expect(() => confirmProd("prod", "x", vars, false)).toThrow(refusal);
    for (const value of ["true", "YES", ""])
      expect(() => confirmProd("prod", "x", { PRECOG_PROD_PREVIEW: value }, true)).toThrow(refusal);
    // Confirmed, a preview logs the deployment's warning, as before.
    expect(confirmProd("prod", "x", { ...vars, PRECOG_PROD_CONFIRMED: "yes" }, true)).toBe(
      "PROD deployment confirmed by ci-preview (PRECOG_PROD_CONFIRMED=yes): target x.",
    );
    expect(confirmProd("staging", "x", vars, true)).toBeUndefined();
  });

  it("needs no confirmation and logs nothing for the other stacks", () => {
    expect(confirmProd("staging", "x", {})).toBeUndefined();
    expect(confirmProd("dev", "x", {})).toBeUndefined();
  });
});

describe("environment agreement", () => {
  it("stops a stack whose configured environment disagrees with its name", async () => {
    const { error, registered } = await refused("dev", { config: { "precog:environment": "test" } });
    expect(registered).toEqual([]);
    expect(error?.message).toBe(
      'Stack "dev" is configured for environment "test" (precog:environment in Pulumi.dev.yaml), ' +
        "but its name says dev. Select the stack meant for test, or fix the config. Nothing was changed.",
    );
  });

  it("stops a stack when PRECOG_ENV names another environment", async () => {
    const { error, registered } = await refused("staging", { vars: { PRECOG_ENV: "prod" } });
    expect(registered).toEqual([]);
    expect(error?.message).toBe(
      'PRECOG_ENV is "prod" but stack "staging" provisions environment "staging". ' +
        'Unset PRECOG_ENV or set it to "staging" to deploy this stack. Nothing was changed.',
    );
  });

  it.each([
    ["dev", "dev", {}, "dev"],
    ["test", "test", { PRECOG_ENV: "test" }, "test"],
    ["staging", "staging", { PRECOG_ENV: "" }, "staging"],
    // Issue 27, item 5: the environment is the config's, whatever the stack is called.
    ["prod-eu", "prod", {}, "prod"],
    ["eu-central-prod", "prod", { PRECOG_ENV: "prod" }, "prod"],
    ["precog-a", "staging", {}, "staging"],
    ["production", "dev", {}, "dev"],
  ])("accepts stack %s configured %s with %j", (stack, configured, vars, expected) => {
    expect(checkEnvironment(stack, configured, vars)).toBe(expected);
  });

  it.each([
    [
      "dev",
      undefined,
      'Stack "dev": precog:environment is not set; set it to one of dev, test, staging, prod in Pulumi.dev.yaml.',
    ],
    [
      "qa",
      "qa",
      'Stack "qa": precog:environment is "qa"; set it to one of dev, test, staging, prod in Pulumi.qa.yaml.',
    ],
    [
      "prod-eu",
      "dev",
      'Stack "prod-eu" is configured for environment "dev" (precog:environment in Pulumi.prod-eu.yaml), but its name says prod. ' +
        "Select the stack meant for dev, or fix the config. Nothing was changed.",
    ],
    [
      "test-prod",
      "test",
      'Stack "test-prod" is configured for environment "test" (precog:environment in Pulumi.test-prod.yaml), but its name says prod.',
    ],
  ])("rejects stack %s with environment %s", (stack, configured, message) => {
    expect(() => checkEnvironment(stack, configured, {})).toThrow(message);
  });
});
