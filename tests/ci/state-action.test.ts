/**
 * .github/actions/state, its shell steps run as the runner runs them (bash, the step's env): which
 * backend needs which credential, and the postgres:// login's passfile (mode 0600, named by
 * PGPASSFILE through GITHUB_ENV). The AWS step is configure-aws-credentials, pinned, when a role is given.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const action = parse(readFileSync(join(__dirname, "../../.github/actions/state/action.yml"), "utf8"));
const steps = action.runs.steps as any[];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs a step's script with bash -e (GitHub's `shell: bash`) and the given env. */
function runStep(name: string, env: Record<string, string>) {
  const step = steps.find((s) => s.name === name);
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout };
}

describe("the backend and the credentials it needs", () => {
  const check = (backend: string, role: string, hasPgpass: boolean) =>
    runStep("The backend and the credentials it needs", {
      BACKEND: backend,
      ROLE: role,
      HAS_PGPASS: String(hasPgpass),
    });

  it.each([
    ["s3://b/precog", "arn:aws:iam::1:role/dev-state", false],
    ["postgres://precog_state_ci@db.internal:5432/precog_pulumi?sslmode=verify-full", "", true],
    ["postgres://precog_state_ci@db.internal:5432/precog_pulumi?sslmode=verify-full", "arn:aws:iam::1:role/prod", true],
  ])("accepts %s with role %j and passfile %j", (backend, role, pgpass) => {
    expect(check(backend, role, pgpass)).toEqual({ code: 0, stdout: "" });
  });

  it.each([
    [
      "s3://b/precog",
      "",
      false,
      "::error::the state is in S3 but this job's environment has no AWS_ROLE_ARN secret (docs/ci.md)\n",
    ],
    [
      "postgres://precog_state_ci@db:5432/precog_pulumi",
      "arn:aws:iam::1:role/x",
      false,
      "::error::the state is in PostgreSQL but this job's environment has no PULUMI_STATE_PGPASS secret (docs/state.md)\n",
    ],
    [
      "postgres://precog_state_ci:hunter2@db:5432/precog_pulumi",
      "",
      true,
      "::error::PULUMI_BACKEND_URL holds a password: remove it and give the environment the secret PULUMI_STATE_PGPASS (docs/state.md)\n",
    ],
    [
      "",
      "",
      false,
      "::error::PULUMI_BACKEND_URL must be an s3:// or postgres:// URL (repository secret; docs/ci.md)\n",
    ],
  ])("refuses %j (role %j, passfile %j), saying what is missing", (backend, role, pgpass, message) => {
    expect(check(backend, role, pgpass)).toEqual({ code: 1, stdout: message });
  });
});

describe("the state login's passfile", () => {
  it("writes the environment's line to the runner's temp folder, mode 0600, and names it in PGPASSFILE", () => {
    const temp = mkdtempSync(join(tmpdir(), "precog-runner-"));
    dirs.push(temp);
    const githubEnv = join(temp, "github_env");
    writeFileSync(githubEnv, "");
    const line = "db.internal:5432:precog_pulumi:precog_state_ci:s3cr3t-pw";
    const r = runStep("The state login's passfile (postgres://)", {
      PGPASS_LINE: line,
      RUNNER_TEMP: temp,
      GITHUB_ENV: githubEnv,
    });
    expect(r).toEqual({ code: 0, stdout: "" });
    const file = join(temp, "precog-state.pgpass");
    expect(readFileSync(file, "utf8")).toBe(`${line}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(githubEnv, "utf8")).toBe(`PGPASSFILE=${file}\n`);
  });

  it("runs for postgres:// backends only, and assumes the AWS role only when one is given", () => {
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    expect(byName["The state login's passfile (postgres://)"].if).toBe("startsWith(inputs.backend-url, 'postgres://')");
    expect(byName["AWS credentials (OIDC)"]).toEqual({
      name: "AWS credentials (OIDC)",
      if: "inputs.aws-role-arn != ''",
      uses: "aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a",
      with: { "role-to-assume": "${{ inputs.aws-role-arn }}", "aws-region": "${{ inputs.aws-region }}" },
    });
  });
});
