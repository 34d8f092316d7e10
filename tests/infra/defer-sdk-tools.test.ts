/**
 * The program defers the Pulumi SDK's closure tools (TypeScript's compiler, npm's arborist) until
 * first use. Each case runs in a fresh Node process, as Pulumi runs the program: what the SDK loads
 * on import, and that serializing a function still gets the real tools.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const DEFER = join(ROOT, "dist/pulumi/infra/build/defer-sdk-tools.js");

/** Runs `body` in a fresh Node process in the project root and returns what it printed as JSON. */
function inFreshNode(body: string): Record<string, unknown> {
  const script = `
    const { types } = require("node:util");
    const sdk = require("node:path").dirname(require.resolve("@pulumi/pulumi/package.json"));
    const tools = ["typescript", "@npmcli/arborist"].map((id) => require.resolve(id, { paths: [sdk] }));
    const loaded = () => tools.map((p) => p in require.cache && !types.isProxy(require.cache[p].exports));
    const modules = () => Object.keys(require.cache).length;
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync("node", ["-e", script], { cwd: ROOT, encoding: "utf8" }));
}

describe("the SDK's closure tools, deferred", () => {
  it("without the deferral, importing the SDK loads both tools", () => {
    const out = inFreshNode(`
      require("@pulumi/pulumi");
      console.log(JSON.stringify({ loaded: loaded() }));`);
    expect(out.loaded).toEqual([true, true]);
  });

  it("with it, importing the SDK loads neither, and far fewer modules", () => {
    const out = inFreshNode(`
      const deferred = require(${JSON.stringify(DEFER)}).deferSdkTools();
      require("@pulumi/pulumi");
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded(), modules: modules() }));`);
    expect(out).toMatchObject({ deferred: 2, loaded: [false, false] });
    expect(out.modules as number).toBeLessThan(500);
  });

  it("serializing a function and computing code paths load the real tools and work", () => {
    const out = inFreshNode(`
      require(${JSON.stringify(DEFER)}).deferSdkTools();
      const pulumi = require("@pulumi/pulumi");
      const fn = await pulumi.runtime.serializeFunction(() => 6 * 7);
      const paths = await pulumi.runtime.computeCodePaths();
      console.log(JSON.stringify({ text: fn.text, paths: paths.size, loaded: loaded() }));`);
    expect(out.text).toContain("6 * 7");
    expect(out.paths as number).toBeGreaterThan(0);
    expect(out.loaded).toEqual([true, true]);
  });

  it("leaves a tool that is already loaded alone", () => {
    const out = inFreshNode(`
      require("typescript");
      const deferred = require(${JSON.stringify(DEFER)}).deferSdkTools();
      console.log(JSON.stringify({ deferred: deferred.length, loaded: loaded() }));`);
    expect(out).toEqual({ deferred: 1, loaded: [true, false] });
  });
});
