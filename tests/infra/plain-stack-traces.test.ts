/**
 * The program's stack traces are V8's own, naming the compiled files, even though Pulumi's runner
 * installed source-map-support before loading it (see infra/startup/plain-stack-traces.ts). Each case
 * runs in a fresh Node process set up as the runner leaves it.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const DIST = join(ROOT, "dist/pulumi/infra");

/** The first frame of an error thrown in compiled code that has a source map (the config parser). */
function firstFrame(plain: boolean): string {
  const script = `
    require("source-map-support").install();
    ${plain ? `require(${JSON.stringify(join(DIST, "startup/plain-stack-traces.js"))}).usePlainStackTraces();` : ""}
    const { parseConfig } = require(${JSON.stringify(join(ROOT, "dist/pulumi/src/config/parse.js"))});
    try { parseConfig("dev", { values: {}, secrets: [] }); } catch (e) {
      console.log(e.stack.split("\\n").find((l) => l.trim().startsWith("at ")));
    }`;
  return execFileSync("node", ["-e", script], { cwd: ROOT, encoding: "utf8" }).trim();
}

describe("plain stack traces in the program", () => {
  it("control: with source-map-support alone, a trace is mapped to the TypeScript source", () => {
    expect(firstFrame(false)).toMatch(/src\/config\/[\w-]+\.ts:\d+:\d+/);
  });

  it("after usePlainStackTraces, a trace names the compiled JavaScript file", () => {
    const frame = firstFrame(true);
    expect(frame).toMatch(/dist\/pulumi\/src\/config\/[\w-]+\.js:\d+:\d+/);
    expect(frame).not.toMatch(/\.ts:\d+/);
  });
});
