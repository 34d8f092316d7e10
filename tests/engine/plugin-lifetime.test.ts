/**
 * Issue 30, item 15, the process's side: the migration plugin (the bundle its wrapper runs, as the
 * engine starts it) ends when the process that started it is killed with SIGKILL, as a killed
 * `pulumi up` is; before, its gRPC server kept it running. The parent here is a shell standing in
 * for the engine; what the plugin does to a run in progress is tests/migrate/stop.test.ts.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PLUGIN_BUNDLE } from "../../infra/startup/plugin-paths";
import { ROOT } from "../../testbed/pulumi-project";

const PLUGIN = join(ROOT, "infra/migrations/plugin/pulumi-resource-precog-migrations");
const BUNDLE = join(ROOT, PLUGIN_BUNDLE);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the migration plugin's lifetime", () => {
  it("ends when its engine is killed with SIGKILL", async () => {
    expect(existsSync(BUNDLE), "npm run build first").toBe(true);
    // The stand-in engine: starts the plugin, says its pid and the port it serves on, and waits.
    const engine = spawn("sh", ["-c", `"${PLUGIN}" & echo "pid $!"; wait`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    engine.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    engine.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const until = Date.now() + 30_000;
    // Serving: the pid, then the port the plugin prints once its gRPC server listens.
    while (!/pid \d+\n\d+/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(out, err).toMatch(/pid \d+\n\d+/);
    expect(alive(pid)).toBe(true);

    engine.kill("SIGKILL");
    const gone = Date.now() + 5_000;
    while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    const stillAlive = alive(pid);
    if (stillAlive) process.kill(pid, "SIGKILL"); // leave nothing behind whatever the outcome
    expect(stillAlive).toBe(false);
    expect(err).toContain("applying no further migration, then exiting.");
  }, 60_000);
});
