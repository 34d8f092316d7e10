/**
 * The program defers the modules a run rarely uses (the SDK's closure tools and Automation API,
 * `@pulumi/aws`) until first use. Each case runs in a fresh Node process, as Pulumi runs the
 * program: what importing the SDK and the AWS package loads, and that using them still gets the
 * real modules.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const DEFER = join(ROOT, "dist/pulumi/infra/build/defer-modules.js");

/** Runs `body` in a fresh Node process in the project root and returns what it printed as JSON. */
function inFreshNode(body: string): Record<string, unknown> {
  const script = `
    const { types } = require("node:util");
    const paths = require(${JSON.stringify(DEFER)}).deferrablePaths();
    /** For each deferrable module, in order: tools, Automation API, @pulumi/aws: really loaded? */
    const loaded = () => paths.map((p) => p in require.cache && !types.isProxy(require.cache[p].exports));
    const modules = () => Object.keys(require.cache).length;
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync("node", ["-e", script], { cwd: ROOT, encoding: "utf8" }));
}

describe("the modules a run rarely uses, deferred", () => {
  it("without the deferral, importing the SDK and @pulumi/aws loads them all", () => {
    const out = inFreshNode(`
      require("@pulumi/pulumi");
      require("@pulumi/aws");
      console.log(JSON.stringify({ loaded: loaded(), modules: modules() }));`);
    expect(out.loaded).toEqual([true, true, true, true]);
    expect(out.modules as number).toBeGreaterThan(1000);
  });

  it("with it, importing them as the compiled program does loads none, and far fewer modules", () => {
    const out = inFreshNode(`
      const deferred = require(${JSON.stringify(DEFER)}).deferModules();
      const { __importStar } = require("tslib");
      const pulumi = __importStar(require("@pulumi/pulumi"));
      const aws = __importStar(require("@pulumi/aws"));
      new pulumi.Config("x");
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded(), modules: modules() }));`);
    expect(out).toMatchObject({ deferred: 4, loaded: [false, false, false, false] });
    expect(out.modules as number).toBeLessThan(300);
  });

  it("using them loads the real modules, which work", () => {
    const out = inFreshNode(`
      require(${JSON.stringify(DEFER)}).deferModules();
      const { __importStar } = require("tslib");
      const pulumi = __importStar(require("@pulumi/pulumi"));
      const aws = __importStar(require("@pulumi/aws"));
      const fn = await pulumi.runtime.serializeFunction(() => 6 * 7);
      const paths = await pulumi.runtime.computeCodePaths();
      const ws = typeof pulumi.automation.LocalWorkspace.create;
      const instance = typeof aws.rds.Instance;
      console.log(JSON.stringify({ text: fn.text, paths: paths.size, ws, instance, loaded: loaded() }));`);
    expect(out.text).toContain("6 * 7");
    expect(out.paths as number).toBeGreaterThan(0);
    expect(out).toMatchObject({ ws: "function", instance: "function", loaded: [true, true, true, true] });
  });

  it("leaves a module that is already loaded alone", () => {
    const out = inFreshNode(`
      require("typescript");
      const deferred = require(${JSON.stringify(DEFER)}).deferModules();
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded() }));`);
    expect(out).toEqual({ deferred: 3, loaded: [true, false, false, false] });
  });
});
