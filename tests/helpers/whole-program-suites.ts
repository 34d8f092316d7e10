/**
 * Which suites `npm test` leaves out: those that deploy the whole program (tests/e2e) need the
 * upstream Pulumi plugins (the Node.js language host, postgresql, random), which
 * scripts/pulumi-engine.sh lists when they are missing. Without them the suites are left out with
 * one line naming what is missing, or, with PRECOG_E2E_REQUIRED=true (the workflows), the run fails.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

export const WHOLE_PROGRAM_SUITES = "tests/e2e/**";
const ROOT = resolve(__dirname, "../..");

/** The upstream plugins a local deploy needs that are not installed, as `<kind> <name> <version>`. */
export function missingPlugins(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = execFileSync("bash", [resolve(ROOT, "scripts/pulumi-engine.sh"), "plugins"], { env, encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

/** The globs to leave out of this run, saying so (`log`); throws where every suite is required. */
export function wholeProgramExcluded(env: NodeJS.ProcessEnv = process.env, log = console.log): string[] {
  const missing = missingPlugins(env);
  if (missing.length === 0) return [];
  const what = `the upstream Pulumi plugins ${missing.join(", ")} are not installed`;
  if (env.PRECOG_E2E_REQUIRED === "true")
    throw new Error(`PRECOG_E2E_REQUIRED=true, but ${what}: run bash scripts/pulumi-engine.sh install-plugins`);
  log(`${WHOLE_PROGRAM_SUITES} not run: ${what} (bash scripts/pulumi-engine.sh install-plugins)`);
  return [WHOLE_PROGRAM_SUITES];
}
