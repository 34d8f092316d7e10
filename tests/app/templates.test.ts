import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type Environment, environmentPoolFallback, loadVars, resolvePoolLimits, resolveSettings } from "../../src/app";
import { stackFacts } from "../helpers/stack-facts";

const repo = resolve(__dirname, "../..");

function isIgnored(path: string): boolean {
  try {
    execFileSync("git", ["check-ignore", "-q", path], { cwd: repo });
    return true;
  } catch {
    return false;
  }
}

describe("committed env templates", () => {
  it.each<[string, Environment]>([
    ["config/.env.dev.template", "dev"],
    ["config/.env.test.template", "test"],
    ["config/.env.staging.template", "staging"],
    [".env.template", "dev"],
  ])("%s selects %s with its default pool bounds and is accepted", (file, env) => {
    const { vars } = loadVars({ envFile: resolve(repo, file), env: {} });
    const settings = resolveSettings(vars);
    expect(settings.env).toBe(env);
    expect(resolvePoolLimits(settings, environmentPoolFallback(env))).toEqual({
      min: stackFacts(env).poolMin,
      max: stackFacts(env).poolMax,
    });
    if (vars.DB_PASSWORD !== undefined) expect(vars.DB_PASSWORD).toMatch(/^<.+>$/);
    if (env === "staging") expect(settings.credentials).toEqual({ kind: "secret", secretId: "precog/staging/app" });
    else expect(settings.credentials).toMatchObject({ kind: "environment", user: stackFacts(env).appRole });
    expect(isIgnored(file)).toBe(false);
  });

  it("has no template for prod", () => {
    expect(existsSync(resolve(repo, "config/.env.prod.template"))).toBe(false);
  });

  it.each([".env", ".env.dev", ".env.prod", "config/.env.test", "config/.env.staging"])(
    "keeps a real %s out of git",
    (file) => {
      expect(isIgnored(file)).toBe(true);
    },
  );
});
