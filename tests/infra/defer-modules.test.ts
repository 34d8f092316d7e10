/**
 * The program defers the modules a run rarely uses that the SDK's own index imports (its closure
 * tools and Automation API) until first use, and loads `@pulumi/aws` only on an aws stack. Each case
 * runs in a fresh Node process, as Pulumi runs the program: what importing the SDK loads, that using
 * the deferred modules still gets the real ones, and which stacks' runs load `@pulumi/aws`.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminPasswordFile } from "../helpers/password-file";

const ROOT = join(__dirname, "../..");
const DEFER = join(ROOT, "dist/pulumi/infra/startup/defer-modules.js");
const COMPILED = join(ROOT, "dist/pulumi/infra");

/** Runs `body` in a fresh Node process in the project root and returns what it printed as JSON. */
function inFreshNode(body: string): Record<string, unknown> {
  const script = `
    const { types } = require("node:util");
    const paths = require(${JSON.stringify(DEFER)}).deferrablePaths();
    /** For each deferrable module, in order: TypeScript, arborist, Automation API: really loaded? */
    const loaded = () => paths.map((p) => p in require.cache && !types.isProxy(require.cache[p].exports));
    const modules = () => Object.keys(require.cache).length;
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync("node", ["-e", script], { cwd: ROOT, encoding: "utf8" }));
}

describe("the modules a run rarely uses, deferred", () => {
  it("without the deferral, importing the SDK loads them all", () => {
    const out = inFreshNode(`
      require("@pulumi/pulumi");
      console.log(JSON.stringify({ loaded: loaded(), modules: modules() }));`);
    expect(out.loaded).toEqual([true, true, true]);
    expect(out.modules as number).toBeGreaterThan(700);
  });

  it("with it, importing them as the compiled program does loads none, and far fewer modules", () => {
    const out = inFreshNode(`
      const deferred = require(${JSON.stringify(DEFER)}).deferModules();
      const { __importStar } = require("tslib");
      const pulumi = __importStar(require("@pulumi/pulumi"));
      new pulumi.Config("x");
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded(), modules: modules() }));`);
    expect(out).toMatchObject({ deferred: 3, loaded: [false, false, false] });
    expect(out.modules as number).toBeLessThan(300);
  });

  it("using them loads the real modules, which work", () => {
    const out = inFreshNode(`
      require(${JSON.stringify(DEFER)}).deferModules();
      const { __importStar } = require("tslib");
      const pulumi = __importStar(require("@pulumi/pulumi"));
      const fn = await pulumi.runtime.serializeFunction(() => 6 * 7);
      const paths = await pulumi.runtime.computeCodePaths();
      const ws = typeof pulumi.automation.LocalWorkspace.create;
      console.log(JSON.stringify({ text: fn.text, paths: paths.size, ws, loaded: loaded() }));`);
    expect(out.text).toContain("6 * 7");
    expect(out.paths as number).toBeGreaterThan(0);
    expect(out).toMatchObject({ ws: "function", loaded: [true, true, true] });
  });

  it("leaves a module that is already loaded alone", () => {
    const out = inFreshNode(`
      require("typescript");
      const deferred = require(${JSON.stringify(DEFER)}).deferModules();
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded() }));`);
    expect(out).toEqual({ deferred: 2, loaded: [true, false, false] });
  });

  it("defers none of our own modules' imports: @pulumi/aws is not among them", () => {
    const out = inFreshNode(`console.log(JSON.stringify({ aws: paths.includes(require.resolve("@pulumi/aws")) }));`);
    expect(out).toEqual({ aws: false });
  });
});

/** How many of `@pulumi/aws`'s files Node has loaded (a line of a fresh process's script). */
const AWS_LOADED = `Object.keys(require.cache).filter((p) => p.includes("/node_modules/@pulumi/aws/")).length`;

/**
 * Runs the compiled program (dist/pulumi/infra/program.js, after prepareProgram as its entry point
 * imports first) for `stack` under the Pulumi mocks of ./harness.ts, in a fresh Node process:
 * the harness loads through ts-node, and the program it imports is the compiled one.
 */
function compiledRun(stack: string, config: Record<string, string> = {}): Record<string, unknown> {
  const script = `
    require(${JSON.stringify(join(COMPILED, "startup/prepare-program.js"))}).prepareProgram(${JSON.stringify(ROOT)});
    require(${JSON.stringify(join(COMPILED, "program.js"))});
    const awsBefore = ${AWS_LOADED};
    // The harness's import of infra/program gets the compiled module.
    const source = require.resolve(${JSON.stringify(join(ROOT, "infra/program.ts"))});
    require.cache[source] = require.cache[require.resolve(${JSON.stringify(join(COMPILED, "program.js"))})];
    require(${JSON.stringify(join(__dirname, "harness.ts"))})
      .runStack(${JSON.stringify(stack)}, { config: ${JSON.stringify(config)} })
      .then((run) => {
        const awsResources = run.resources.filter((r) => r.type.startsWith("aws:")).length;
        const sources = Object.keys(require.cache).filter((p) => p !== source && p.startsWith(${JSON.stringify(join(ROOT, "infra/"))}));
        console.log(JSON.stringify({ server: run.values.server, awsBefore, aws: ${AWS_LOADED}, awsResources, sources }));
      })
      .catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync("node", ["-r", "ts-node/register/transpile-only", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1) as string);
}

const PASSWORD_FILE = adminPasswordFile();

describe("@pulumi/aws, loaded by the aws stacks only", () => {
  it("a local stack's run of the compiled program never loads it", () => {
    const out = compiledRun("dev", { "precog:local.adminPasswordFile": PASSWORD_FILE });
    expect(out).toMatchObject({ server: "local", awsBefore: 0, aws: 0, awsResources: 0 });
    // The compiled program ran, not infra/'s sources.
    expect(out.sources).toEqual([]);
  });

  it("an aws stack's run loads it, and creates its AWS resources with it", () => {
    const out = compiledRun("staging");
    expect(out).toMatchObject({ server: "aws", awsBefore: 0, sources: [] });
    expect(out.aws as number).toBeGreaterThan(100);
    expect(out.awsResources as number).toBeGreaterThan(0);
  });
});
