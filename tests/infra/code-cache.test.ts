/**
 * V8's code cache for the migration plugin (infra/startup/code-cache.ts): `npm run build` writes it
 * beside the bundle, a fresh Node takes it, and a file compiled with a cache made from another
 * source runs its own source. Compiled in fresh processes: V8 takes a cache only under the flags
 * it was made with, which a test worker's need not be.
 */
import { execFileSync } from "node:child_process";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLUGIN_BUNDLE } from "../../infra/startup/bundle-plugin";
import { codeCacheOf } from "../../infra/startup/code-cache";
import { scratchDir } from "../helpers/scratch-dir";

const ROOT = join(__dirname, "../..");
const CODE_CACHE = join(ROOT, "dist/pulumi/infra/startup/code-cache.js");

/** In a fresh node: compiles `file` with its cache and prints what became of the cache, then runs it when `run`. */
function inNode(file: string, run: boolean): string {
  const call = run ? "runWithCodeCache" : "compileWithCodeCache";
  const script = `process.stdout.write(require(${JSON.stringify(CODE_CACHE)}).${call}(${JSON.stringify(file)}, { useCache: true }).cache)`;
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
}

/** Makes `file`'s cache in a fresh node, after running it. */
function makeCache(file: string): void {
  const script = `const c = require(${JSON.stringify(CODE_CACHE)}); const r = c.runWithCodeCache(${JSON.stringify(file)}, { useCache: false }); require("fs").writeFileSync(c.codeCacheOf(${JSON.stringify(file)}), r.script.createCachedData());`;
  execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
}

describe("the migration plugin's code cache", () => {
  it("is written by the build beside the bundle and taken by a fresh node", () => {
    const bundle = join(ROOT, PLUGIN_BUNDLE);
    expect(existsSync(codeCacheOf(bundle)), "npm run build first").toBe(true);
    expect(inNode(bundle, false)).toBe("used");
  });

  it("is not offered when it is older than its file, so another source of the same length runs as itself", () => {
    const dir = scratchDir("code-cache");
    const file = join(dir, "greet.js");
    writeFileSync(file, 'function greet() { return "hello"; }\nprocess.stdout.write(greet());\n');
    makeCache(file);
    expect(inNode(file, true)).toBe("helloused");
    // Same length, other text, written after the cache: V8 would take the cache (it compares lengths).
    writeFileSync(file, 'function greet() { return "howdy"; }\nprocess.stdout.write(greet());\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(inNode(file, true)).toBe("howdynone");
  });

  it("is rejected by V8 when it does not belong to this Node, and the file runs all the same", () => {
    const dir = scratchDir("code-cache");
    const file = join(dir, "greet.js");
    writeFileSync(file, 'process.stdout.write("hello");\n');
    writeFileSync(codeCacheOf(file), Buffer.from("not a code cache of this V8".repeat(8)));
    expect(inNode(file, true)).toBe("hellorejected");
  });
});
