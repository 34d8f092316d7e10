/**
 * The migration provider plugin as the engine starts it: its wrapper runs the bundle that
 * `npm run build` writes (infra/startup/bundle-plugin.ts) with the code cache the build made for it
 * (infra/startup/code-cache.ts), which serves and prints its port; the
 * bundle has one copy of grpc-js, the SDK's, so that the engine log's client (engine-log.ts) takes
 * the credentials the SDK's generated client accepts.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLUGIN_BUNDLE } from "../../infra/startup/plugin-paths";

const ROOT = join(__dirname, "../..");
const WRAPPER = join(ROOT, "infra/migrations/plugin/pulumi-resource-precog-migrations");

/** The plugin's first line on stdout (its port), and what it wrote on stderr until then. */
function firstLine(cmd: string, args: string[], env = process.env): Promise<{ port: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        p.kill();
        resolve({ port: out.split("\n")[0], stderr: err });
      }
    });
    p.on("exit", (code) => reject(new Error(`plugin exited (${code}) before printing its port: ${err}`)));
  });
}

describe("the migration plugin's bundle", () => {
  it("starts from the wrapper the engine runs and prints the port it serves on", async () => {
    // The engine's address is the plugin's argument; the log connects to it only when it has something to say.
    expect((await firstLine("sh", [WRAPPER, "127.0.0.1:1"])).port).toMatch(/^\d+$/);
  });

  it("starts with the code cache the build made, which V8 takes", async () => {
    const started = await firstLine("sh", [WRAPPER, "127.0.0.1:1"], {
      ...process.env,
      PRECOG_PLUGIN_REPORT_CODE_CACHE: "1",
    });
    expect(started.stderr).toBe("code cache: used\n");
  });

  it("holds none of the modules the program defers or loads on aws stacks only", () => {
    // esbuild keys each bundled module by its path.
    const bundle = readFileSync(join(ROOT, PLUGIN_BUNDLE), "utf8");
    expect(bundle).toContain('"node_modules/@pulumi/pulumi/provider/server.js"');
    for (const path of [
      "node_modules/typescript/",
      "node_modules/@npmcli/arborist/",
      "node_modules/@pulumi/aws/",
      "node_modules/@pulumi/pulumi/automation/",
    ])
      expect([path, bundle.includes(`"${path}`)]).toEqual([path, false]);
  });

  it("holds no dynamic import(), which the loader that runs it with its code cache does not serve", () => {
    // infra/startup/code-cache.ts compiles the bundle with node:vm, given no loader for import().
    expect(readFileSync(join(ROOT, PLUGIN_BUNDLE), "utf8")).not.toMatch(/\bimport\(/);
  });

  it("shares one grpc-js with the SDK", () => {
    const sdk = join(require.resolve("@pulumi/pulumi/package.json"), "..");
    expect(require.resolve("@grpc/grpc-js", { paths: [sdk] })).toBe(require.resolve("@grpc/grpc-js"));
  });
});
