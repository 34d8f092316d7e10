/**
 * scripts/ci/deploy-checks.sh, run for real: the approved staging and prod jobs apply the commit
 * their preview showed and refuse when main has moved (a real origin and clones here), and refuse a
 * stack whose secrets a passphrase would decrypt.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = resolve(__dirname, "../../scripts/ci/deploy-checks.sh");
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "ci",
  GIT_AUTHOR_EMAIL: "ci@example.invalid",
  GIT_COMMITTER_NAME: "ci",
  GIT_COMMITTER_EMAIL: "ci@example.invalid",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};
let base: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const check = (cwd: string, ...args: string[]) => {
  const r = spawnSync("bash", [SCRIPT, ...args], { cwd, env: GIT_ENV, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const commit = (cwd: string, file: string) => {
  writeFileSync(join(cwd, file), file);
  git(cwd, "add", file);
  git(cwd, "commit", "-q", "-m", file);
  return git(cwd, "rev-parse", "HEAD");
};

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "precog-deploy-checks-"));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("previewed-commit", () => {
  let job: string;
  let other: string;
  let previewed: string;

  beforeAll(() => {
    const origin = join(base, "origin.git");
    git(base, "init", "-q", "--bare", "-b", "main", origin);
    other = join(base, "other");
    git(base, "clone", "-q", origin, other);
    git(other, "checkout", "-q", "-b", "main");
    previewed = commit(other, "a");
    git(other, "push", "-q", "origin", "main");
    job = join(base, "job");
    git(base, "clone", "-q", "-b", "main", origin, job);
  });

  it("accepts the commit the preview showed while it is main's tip", () => {
    expect(check(job, "previewed-commit", previewed, "main")).toEqual({
      code: 0,
      stdout: `deploy-checks: applying ${previewed}, the commit previewed, still the tip of main.\n`,
      stderr: "",
    });
  });

  it("refuses once main has moved past it, naming both commits", () => {
    const later = commit(other, "b");
    git(other, "push", "-q", "origin", "main");
    expect(check(job, "previewed-commit", previewed)).toEqual({
      code: 1,
      stdout: "",
      stderr: `deploy-checks: main moved from ${previewed} (previewed) to ${later} since the preview: the run for ${later} previews and deploys it. Nothing was deployed.\n`,
    });
  });

  it("refuses a checkout that is not the previewed commit, and a missing preview output", () => {
    const elsewhere = commit(job, "c");
    expect(check(job, "previewed-commit", previewed).stderr).toBe(
      `deploy-checks: checked out ${elsewhere}, but the preview showed ${previewed}: refusing to apply a commit nobody previewed. Nothing was deployed.\n`,
    );
    expect(check(job, "previewed-commit", "")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'deploy-checks: previewed commit "" is not a full commit SHA: the preview job\'s output is missing; rerun the whole workflow.\n',
    });
  });
});

describe("secrets-provider", () => {
  const project = (stackFile: string) => {
    const dir = mkdtempSync(join(base, "project-"));
    writeFileSync(join(dir, "Pulumi.staging.yaml"), stackFile);
    return dir;
  };

  it("accepts a stack encrypted with its own KMS key, printing the key without the query", () => {
    const dir = project(
      "secretsprovider: awskms://alias/precog-staging-state?region=us-east-1\nencryptedkey: AQICAHh=\nconfig:\n  precog:environment: staging\n",
    );
    expect(check(dir, "secrets-provider", "staging")).toEqual({
      code: 0,
      stdout: "deploy-checks: staging's secrets provider is its own KMS key (awskms://alias/precog-staging-state).\n",
      stderr: "",
    });
  });

  it.each([
    ["no secrets provider (a passphrase)", "config:\n  precog:environment: staging\n", "none"],
    ["a passphrase salt", "encryptionsalt: v1:abc\nconfig: {}\n", "none"],
    ["another provider", "secretsprovider: passphrase\nconfig: {}\n", "passphrase"],
  ])("refuses %s, saying how to give the stack its key", (_, file, found) => {
    expect(check(project(file), "secrets-provider", "staging")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `deploy-checks: Pulumi.staging.yaml has no awskms:// secrets provider (${found}): its secrets would need a passphrase. ` +
        "Give the stack its own KMS key once, as docs/ci.md says (pulumi stack change-secrets-provider --stack staging 'awskms://alias/precog-staging-state?region=…'), and commit the file. Nothing was deployed.\n",
    });
  });
});
