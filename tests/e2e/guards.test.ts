/**
 * The guards through the real Pulumi engine (scripts/pulumi-engine.sh) and the real program, with a
 * file backend and throwaway state. Every run here stops before the program registers a resource:
 * the stack's state must hold nothing but its root afterwards.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import { databaseOwner } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject } from "../../testbed/pulumi-project";

const MINUTES = 60_000;
let project: PulumiProject;
let cluster: LocalCluster;

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev", "test", "prod"]));
}, 20 * MINUTES);

afterAll(() => closeSuite(project, cluster));

/**
 * A refused run leaves exactly the stack's root resource in its state (the engine registers it
 * before the program runs), and nothing else.
 */
async function expectNothingRegistered(stack: string): Promise<void> {
  expect((await project.stateUrns(stack)).map((u) => u.split("::")[2])).toEqual(["pulumi:pulumi:Stack"]);
}

describe.sequential("guards, through the real engine", () => {
  it(
    "prod refuses to run without PRECOG_PROD_CONFIRMED=yes and touches nothing",
    async () => {
      for (const confirmed of [undefined, "true"]) {
        const r = await project.run(["up", "--yes", "--skip-preview", "--stack", "prod"], {
          PRECOG_PROD_CONFIRMED: confirmed,
        });
        expect(r.code).not.toBe(0);
        expect(r.all).toContain(
          'error: Refusing to deploy stack "prod" (database precog_prod on local server 127.0.0.1:' +
            `${cluster.port}) on prod: PRECOG_PROD_CONFIRMED is not "yes".`,
        );
        expect(r.all).not.toMatch(/\bat program \(/);
      }
      await expectNothingRegistered("prod");
      expect(await databaseOwner("precog_prod")).toBeUndefined();
    },
    10 * MINUTES,
  );

  it(
    "preview on prod is refused the same way",
    async () => {
      const r = await project.run(["preview", "--stack", "prod"]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain('Refusing to deploy stack "prod"');
    },
    10 * MINUTES,
  );

  it(
    "PRECOG_ENV naming another environment stops the stack before anything is registered",
    async () => {
      const r = await project.run(["up", "--yes", "--skip-preview", "--stack", "dev"], { PRECOG_ENV: "prod" });
      expect(r.code).not.toBe(0);
      expect(r.all).toContain(
        'error: PRECOG_ENV is "prod" but stack "dev" provisions environment "dev". Unset PRECOG_ENV or set it to "dev"',
      );
      await expectNothingRegistered("dev");
      expect(await databaseOwner("precog_dev")).toBeUndefined();
    },
    10 * MINUTES,
  );

  it(
    "a stack configured for another environment stops before anything is registered",
    async () => {
      const r = await project.runWithConfig("test", { "precog:environment": "dev" }, [
        "up",
        "--yes",
        "--skip-preview",
        "--stack",
        "test",
      ]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain(
        'error: Stack "test" is configured for environment "dev" (precog:environment in Pulumi.test.yaml).',
      );
      await expectNothingRegistered("test");
    },
    10 * MINUTES,
  );

  it(
    "config errors are reported together, naming key and stack",
    async () => {
      const r = await project.runWithConfig("dev", { "precog:pool.min": 30, "precog:pool.appInstances": 20 }, [
        "up",
        "--yes",
        "--skip-preview",
        "--stack",
        "dev",
      ]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain('error: Invalid configuration for stack "dev" (Pulumi.dev.yaml), 2 problem(s):');
      expect(r.all).toContain("- precog:pool.min: 30 is above precog:pool.max (10); lower pool.min or raise pool.max");
      expect(r.all).toContain(
        "- precog:pool.max: the server's connection budget cannot hold it: pool.max 10 x pool.appInstances 20 + roles.app.connectionHeadroom 5 = 205",
      );
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );

  it(
    "the CLI holds a structured key to its declared type, before the program runs",
    async () => {
      const r = await project.runWithConfig("dev", { "precog:pool": 10 }, ["preview", "--stack", "dev"]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain("Stack 'dev' with configuration key 'pool' must be of type 'object'");
    },
    10 * MINUTES,
  );

  it(
    "a field's problem names its key path",
    async () => {
      const r = await project.runWithConfig("dev", { "precog:local.sslMode": 1 }, ["preview", "--stack", "dev"]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain('error: Invalid configuration for stack "dev" (Pulumi.dev.yaml), 1 problem(s):');
      expect(r.all).toContain("- precog:local.sslMode: 1 is not a string: quote it");
      await expectNothingRegistered("dev");
    },
    10 * MINUTES,
  );

  it(
    "the CLI rejects a key Pulumi.yaml does not declare",
    async () => {
      const r = await project.runWithConfig("dev", { "precog:poolSize": 5 }, ["preview", "--stack", "dev"]);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain("precog:poolSize");
    },
    10 * MINUTES,
  );

  it(
    "a compiled program older than its sources is refused, with the command to run",
    async () => {
      const source = join(project.dir, "infra/guards.ts");
      const before = readFileSync(source, "utf8");
      writeFileSync(source, `${before}\n// edited after the build\n`);
      const r = await project.run(["preview", "--stack", "dev"]);
      writeFileSync(source, before);
      expect(r.code).not.toBe(0);
      expect(r.all).toContain(
        "error: the compiled Pulumi program in dist/pulumi/ is older than its sources in infra/ and src/: run `npm run build`",
      );
      expect((await project.run(["preview", "--stack", "dev"])).code).toBe(0);
    },
    10 * MINUTES,
  );
});
