/**
 * bench/lib/without-migrations.js, the program without the migration component that the no-op
 * bench runs (bench/lib/deployed-dev.ts copies it to dist/pulumi/infra/index-without-migrations.js):
 * it loads from there, puts its stand-ins for the component and its provider in the module cache,
 * loads nothing before the program's entry point (which defers the rarely used modules first), its
 * component has the empty ledger and its provider registers nothing. Runs in a fresh Node process,
 * the entry point replaced by a module that records what was loaded before it, as the real one's
 * first import would see it.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const STUB = join(ROOT, "bench/lib/without-migrations.js");
const INFRA = join(ROOT, "dist/pulumi/infra");

describe("bench/lib/without-migrations.js", () => {
  it("loads from where the bench copies it, with the stand-in for the component and nothing before the entry point", () => {
    const script = `
      const Module = require("node:module");
      const { readFileSync } = require("node:fs");
      const { join } = require("node:path");
      const infra = ${JSON.stringify(INFRA)};
      const index = require.resolve(join(infra, "index"));
      const entry = new Module(index);
      entry.filename = index;
      entry.loaded = true;
      const before = Object.keys(require.cache);
      entry.exports = { seenBefore: () => before };
      // Recorded when the stub first requires ./index (a getter on the cache entry's lookup).
      Object.defineProperty(require.cache, index, {
        configurable: true,
        enumerable: true,
        get() { before.splice(0, before.length, ...Object.keys(require.cache).filter((k) => k !== index)); return entry; },
      });
      const file = join(infra, "index-without-migrations.js");
      const m = new Module(file, null);
      m.filename = file;
      m.paths = Module._nodeModulePaths(infra);
      m._compile(readFileSync(${JSON.stringify(STUB)}, "utf8"), file);
      const component = require.cache[require.resolve(join(infra, "migrations/component"))];
      const provider = require.cache[require.resolve(join(infra, "migrations/resource"))];
      const sdk = require.resolve("@pulumi/pulumi", { paths: [infra] });
      const seen = m.exports.seenBefore();
      const c = new component.exports.PrecogMigrations();
      c.applied.apply((applied) => {
        console.log(JSON.stringify({
          sameEntry: m.exports === entry.exports,
          stubbed: component.loaded && typeof component.exports.PrecogMigrations,
          provider: provider.loaded && String(provider.exports.migrationsProvider("precog-dev", {})),
          componentName: provider.exports.migrationsComponentName("precog-dev"),
          sdkBeforeEntry: seen.includes(sdk),
          applied,
        }));
      });`;
    const out = JSON.parse(execFileSync("node", ["-e", script], { cwd: ROOT, encoding: "utf8" }));
    expect(out).toEqual({
      sameEntry: true,
      stubbed: "function",
      provider: "undefined",
      componentName: "precog-dev-migrations",
      sdkBeforeEntry: false,
      applied: null,
    });
  });
});
