/**
 * The pre-push hook in a real repository: a bare remote and a clone with the project's hook
 * installed by scripts/install-hooks.sh. A failing test command stops the push, a passing one lets
 * it through, --no-verify skips it. PRECOG_PRE_PUSH_COMMAND stands in for the test run (the real
 * one is the hook's default, documented in .githooks/pre-push and the README).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const IDENTITY = ["-c", "user.name=hook test", "-c", "user.email=hook@test.invalid"];
let base: string;
let work: string;
let remote: string;

const git = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync("git", [...IDENTITY, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env } });

function remoteHead(): string | undefined {
  const r = git(remote, ["rev-parse", "--verify", "--quiet", "refs/heads/main"]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "precog-hook-"));
  remote = join(base, "remote.git");
  work = join(base, "work");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
  execFileSync("git", ["clone", "-q", remote, work], { stdio: "pipe" });
  mkdirSync(join(work, "scripts"));
  cpSync(join(ROOT, ".githooks"), join(work, ".githooks"), { recursive: true });
  cpSync(join(ROOT, "scripts/install-hooks.sh"), join(work, "scripts/install-hooks.sh"));
  writeFileSync(join(work, "README.md"), "hook test\n");
  git(work, ["checkout", "-q", "-b", "main"]);
  git(work, ["add", "."]);
  git(work, ["commit", "-q", "-m", "first"]);
  const installed = spawnSync("bash", ["scripts/install-hooks.sh"], { cwd: work, encoding: "utf8" });
  expect(installed.status).toBe(0);
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("pre-push hook", () => {
  it("is installed through core.hooksPath", () => {
    expect(git(work, ["config", "core.hooksPath"]).stdout.trim()).toBe(".githooks");
  });

  it("stops the push when the tests fail, saying what it ran", () => {
    const r = git(work, ["push", "-q", "origin", "main"], { PRECOG_PRE_PUSH_COMMAND: "echo 1 test failed; exit 1" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("pre-push: running the tests against the test environment before the push:");
    expect(r.stderr).toContain("pre-push:   echo 1 test failed; exit 1");
    expect(r.stderr).toContain("1 test failed");
    expect(r.stderr).toMatch(/pre-push: the tests failed after \d+ s; the push is stopped/);
    expect(remoteHead()).toBeUndefined();
  });

  it("lets the push through when the tests pass", () => {
    const r = git(work, ["push", "-q", "origin", "main"], {
      PRECOG_PRE_PUSH_COMMAND: 'test "$PWD" = "$(git rev-parse --show-toplevel)"',
    });
    expect([r.status, r.stderr]).toEqual([0, expect.stringMatching(/pre-push: passed in \d+ s/)]);
    expect(remoteHead()).toBe(git(work, ["rev-parse", "HEAD"]).stdout.trim());
  });

  it("is skipped with --no-verify", () => {
    const r = git(work, ["push", "-q", "--no-verify", "origin", "main"], { PRECOG_PRE_PUSH_COMMAND: "exit 1" });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain("pre-push:");
    expect(remoteHead()).toBe(git(work, ["rev-parse", "HEAD"]).stdout.trim());
  });

  it("names its default command: the tests outside tests/e2e with PRECOG_ENV=test", () => {
    const hook = spawnSync("bash", ["-c", 'grep -F "default=\'" .githooks/pre-push'], { cwd: ROOT, encoding: "utf8" });
    expect(hook.stdout).toContain('PRECOG_ENV=test npx vitest run --exclude "tests/e2e/**"');
  });
});

describe("install-hooks.sh", () => {
  it("does nothing outside a git work tree", () => {
    const plain = join(base, "plain");
    mkdirSync(join(plain, "scripts"), { recursive: true });
    cpSync(join(ROOT, "scripts/install-hooks.sh"), join(plain, "scripts/install-hooks.sh"));
    const r = spawnSync("bash", ["scripts/install-hooks.sh"], {
      cwd: plain,
      encoding: "utf8",
      env: { ...process.env, GIT_CEILING_DIRECTORIES: base },
    });
    expect([r.status, r.stderr]).toEqual([0, ""]);
  });

  it("leaves a hooks path someone else set", () => {
    git(work, ["config", "core.hooksPath", "/elsewhere"]);
    const r = spawnSync("bash", ["scripts/install-hooks.sh"], { cwd: work, encoding: "utf8" });
    expect(r.stderr).toContain("core.hooksPath is already /elsewhere; leaving it");
    expect(git(work, ["config", "core.hooksPath"]).stdout.trim()).toBe("/elsewhere");
  });
});
