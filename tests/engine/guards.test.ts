/**
 * The guards through the real Pulumi CLI, with the project's whole program (infra/program.ts
 * `program`) as the inline program in a project copy: the twin of tests/e2e/guards.test.ts for the
 * cases that stop before the program registers a resource, so no upstream plugin is needed. Each
 * refused run leaves exactly the stack's root resource in its state, and nothing in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { program } from "../../infra/program";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { databaseOwner, probeServer } from "../../testbed/probes";
import { type InlineProgram, InlineProject } from "./inline-project";

const MINUTES = 60_000;
let cluster: LocalCluster;
let project: InlineProject;
let whole: InlineProgram;

beforeAll(async () => {
  cluster = await startLocalCluster();
  probeServer(cluster);
  project = await InlineProject.open();
  for (const stack of ["dev", "test", "prod"]) project.useLocalServer(stack, cluster);
  whole = (vars) => program(vars, undefined, project.dir);
}, 20 * MINUTES);

afterAll(() => {
  project?.remove();
  cluster?.stop();
});

const up = (stack: string, env: Record<string, string | undefined> = {}) => project.up(stack, whole, { env });

/**
 * A refused run leaves exactly the stack's root resource in its state (the engine registers it
 * before the program runs), and nothing else.
 */
async function expectNothingRegistered(stack: string): Promise<void> {
  expect(await project.stateTypes(stack)).toEqual(["pulumi:pulumi:Stack"]);
}

describe.sequential("guards, through the real engine and the whole program inline", () => {
  it(
    "prod refuses to run without PRECOG_PROD_CONFIRMED=yes and touches nothing",
    async () => {
      for (const confirmed of [undefined, "true"]) {
        const r = await up("prod", { PRECOG_PROD_CONFIRMED: confirmed });
        expect(r.ok).toBe(false);
        expect(r.output).toContain(
          'error: Refusing to deploy stack "prod" (database precog_prod on local server 127.0.0.1:' +
            `${cluster.port}) on prod: PRECOG_PROD_CONFIRMED is not "yes".`,
        );
        expect(r.output).not.toMatch(/\bat (program|preflight) \(/);
      }
      await expectNothingRegistered("prod");
      expect(await databaseOwner("precog_prod")).toBeUndefined();
    },
    10 * MINUTES,
  );

  it(
    "preview on prod is refused the same way",
    async () => {
      const r = await project.preview("prod", whole);
      expect(r.ok).toBe(false);
      expect(r.output).toContain('error: Refusing to deploy stack "prod"');
      await expectNothingRegistered("prod");
    },
    10 * MINUTES,
  );

  it(
    "PRECOG_ENV naming another environment stops the stack before anything is registered",
    async () => {
      const r = await up("dev", { PRECOG_ENV: "prod" });
      expect(r.ok).toBe(false);
      expect(r.output).toContain(
        'error: PRECOG_ENV is "prod" but stack "dev" provisions environment "dev". Unset PRECOG_ENV or set it to "dev" to deploy this stack. Nothing was changed.',
      );
      await expectNothingRegistered("dev");
      expect(await databaseOwner("precog_dev")).toBeUndefined();
    },
    10 * MINUTES,
  );

  it(
    "a stack whose name says another environment than its config stops before anything is registered",
    async () => {
      const r = await project.withConfig("test", { "precog:environment": "dev" }, () => up("test"));
      expect(r.ok).toBe(false);
      expect(r.output).toContain(
        'error: Stack "test" is configured for environment "dev" (precog:environment in Pulumi.test.yaml), ' +
          "but its name says test. Select the stack meant for dev, or fix the config. Nothing was changed.",
      );
      await expectNothingRegistered("test");
    },
    10 * MINUTES,
  );

  it(
    "config errors are reported together, naming key and stack",
    async () => {
      const r = await project.withConfig("dev", { "precog:pool.min": 30, "precog:pool.appInstances": 20 }, () =>
        up("dev"),
      );
      expect(r.ok).toBe(false);
      expect(r.output).toContain('error: Invalid configuration for stack "dev" (Pulumi.dev.yaml), 2 problem(s):');
      expect(r.output).toContain(
        "- precog:pool.min: 30 is above precog:pool.max (10); lower pool.min or raise pool.max",
      );
      expect(r.output).toContain(
        "- precog:pool.max: the server's connection budget cannot hold it: pool.max 10 x pool.appInstances 20 + roles.app.connectionHeadroom 5 = 205, " +
          "plus readonly 5, migrator 5 and reserved 10, is 225 > precog:connections.serverMax (100); " +
          "lower pool.max, pool.appInstances or roles.app.connectionHeadroom, or raise connections.serverMax",
      );
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );

  it(
    "the CLI holds a structured key to its declared type, before the program runs",
    async () => {
      const r = await project.withConfig("dev", { "precog:pool": 10 }, () => project.preview("dev", whole));
      expect(r.ok).toBe(false);
      expect(r.output).toContain("Stack 'dev' with configuration key 'pool' must be of type 'object'");
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );

  it(
    "a field's problem names its key path",
    async () => {
      const r = await project.withConfig("dev", { "precog:local.sslMode": 1 }, () => project.preview("dev", whole));
      expect(r.ok).toBe(false);
      expect(r.output).toContain('error: Invalid configuration for stack "dev" (Pulumi.dev.yaml), 1 problem(s):');
      expect(r.output).toContain("- precog:local.sslMode: 1 is not a string: quote it");
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );

  it(
    "the CLI rejects a key Pulumi.yaml does not declare",
    async () => {
      const r = await project.withConfig("dev", { "precog:poolSize": 5 }, () => project.preview("dev", whole));
      expect(r.ok).toBe(false);
      expect(r.output).toContain("precog:poolSize");
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );
});
