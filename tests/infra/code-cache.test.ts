/**
 * V8's code cache for the migration plugin (infra/startup/code-cache.ts, written by
 * infra/startup/plugin-code-cache.ts): `npm run build` writes it beside the bundle after the
 * plugin's start, a fresh Node takes it, a file written since has none, one V8 rejects costs only
 * the compile, and a bundle that does not start gets no cache and says why. Compiled in fresh
 * processes (from dist/, as the plugin runs it): V8 takes a cache only under the flags it was made
 * with, which a test worker's need not be.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { codeCacheOf } from "../../infra/startup/code-cache";
import { PLUGIN_BUNDLE } from "../../infra/startup/plugin-paths";
import { scratchDir } from "../helpers/scratch-dir";

const ROOT = join(__dirname, "../..");
const CODE_CACHE = join(ROOT, "dist/pulumi/infra/startup/code-cache.js");
const WRITER = join(ROOT, "dist/pulumi/infra/startup/plugin-code-cache.js");
/** The build's writer as built (its child runs the compiled file). */
const { writePluginCodeCache } = require(WRITER) as typeof import("../../infra/startup/plugin-code-cache");

/** In a fresh node: compiles `file` with its cache (and runs it when `run`), printing what became of the cache. */
function inNode(file: string, run: boolean): string {
  const call = run ? "runWithCodeCache" : "compileWithCodeCache";
  const script = `process.stdout.write(require(${JSON.stringify(CODE_CACHE)}).${call}(${JSON.stringify(file)}, { useCache: true }).cache)`;
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
}

/** Makes `file`'s cache in a fresh node under `flags`, after running it. */
function makeCache(file: string, flags: string[] = []): void {
  const script = `const c = require(${JSON.stringify(CODE_CACHE)}); const r = c.runWithCodeCache(${JSON.stringify(file)}, { useCache: false }); require("fs").writeFileSync(r.cacheFile, r.script.createCachedData());`;
  execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" });
}

/** The size of a cache of `file` made right after its compile, before any of it ran. */
function compileOnlyCacheSize(file: string): number {
  const script = `const { Script } = require("vm"); const s = new Script(require("module").wrap(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"))); process.stdout.write(String(s.createCachedData().length));`;
  return Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

describe("the migration plugin's code cache", () => {
  it("is written by the build beside the bundle, after the start, and taken by a fresh node", () => {
    const bundle = join(ROOT, PLUGIN_BUNDLE);
    expect(existsSync(codeCacheOf(bundle)), "npm run build first").toBe(true);
    expect(inNode(bundle, false)).toBe("used");
    // What the start compiled: several times what the compile alone gives (137 KB against 1.1 MB when written).
    expect(statSync(codeCacheOf(bundle)).size).toBeGreaterThan(4 * compileOnlyCacheSize(bundle));
  });

  it("is named for the file it was made from, so another text of the same length written since runs as itself", () => {
    const file = join(scratchDir("code-cache"), "greet.js");
    writeFileSync(file, 'function greet() { return "hello"; }\nprocess.stdout.write(greet());\n');
    makeCache(file);
    expect(inNode(file, true)).toBe("helloused");
    // Same length, other text: V8 would run the cache of the first (it compares lengths only).
    writeFileSync(file, 'function greet() { return "howdy"; }\nprocess.stdout.write(greet());\n');
    expect(inNode(file, true)).toBe("howdynone");
  });

  it("is rejected by V8 when made under other flags, and the file runs all the same", () => {
    const file = join(scratchDir("code-cache"), "greet.js");
    writeFileSync(file, 'process.stdout.write("hello");\n');
    makeCache(file, ["--stack-size=2000"]);
    expect(inNode(file, true)).toBe("hellorejected");
  });

  it("is not written for a bundle that ends before it prints its port, and the build is told why", () => {
    const dir = scratchDir("code-cache");
    const file = join(dir, "bundle.js");
    writeFileSync(file, 'process.stderr.write("cannot bind\\n"); process.exit(3);\n');
    expect(() => writePluginCodeCache(file, 30_000, WRITER)).toThrow(
      /bundle \(.*bundle\.js\) did not start to make its code cache \(exit 3\): cannot bind\. Run it as the engine does/,
    );
    expect(readdirSync(dir)).toEqual(["bundle.js"]);
  });

  it("is not written for a bundle that never prints its port: the build gives up after its timeout", () => {
    const dir = scratchDir("code-cache");
    const file = join(dir, "bundle.js");
    writeFileSync(file, "setInterval(() => {}, 1000);\n");
    expect(() => writePluginCodeCache(file, 1_000, WRITER)).toThrow(
      /did not start to make its code cache \(.*ETIMEDOUT/,
    );
    expect(readdirSync(dir)).toEqual(["bundle.js"]);
  });

  it("is written for a bundle that prints its port, named for it", () => {
    const dir = scratchDir("code-cache");
    const file = join(dir, "bundle.js");
    writeFileSync(
      file,
      'function serve() { process.stdout.write("40123\\n"); }\nserve();\nsetInterval(() => {}, 1000);\n',
    );
    expect(writePluginCodeCache(file, 30_000, WRITER)).toBe(codeCacheOf(file));
    expect(readdirSync(dir).sort()).toEqual(["bundle.js", codeCacheOf(file).slice(dir.length + 1)].sort());
  });
});
