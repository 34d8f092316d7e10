/**
 * Issue 30, item 15, the process's side: the migration plugin (the bundle its wrapper runs, as the
 * engine starts it) ends when the process that started it is killed with SIGKILL, as a killed
 * `pulumi up` is; before, its gRPC server kept it running. The parent here is a shell standing in
 * for the engine; what the plugin does to a run in progress is tests/migrate/stop.test.ts. Also when
 * the engine's ends of the plugin's stdout and stderr close with it, as they do when the engine
 * is killed: a write then fails (EPIPE), which once spun the plugin at full CPU, its memory
 * growing, and never let it end.
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

/** The stand-in engine: a shell that starts the plugin, says its pid and the port it serves on, and waits. */
async function startedPlugin() {
  expect(existsSync(BUNDLE), "npm run build first").toBe(true);
  const engine = spawn("sh", ["-c", `"${PLUGIN}" & echo "pid $!"; wait`], { stdio: ["ignore", "pipe", "pipe"] });
  const seen = { out: "", err: "" };
  engine.stdout.setEncoding("utf8").on("data", (d: string) => (seen.out += d));
  engine.stderr.setEncoding("utf8").on("data", (d: string) => (seen.err += d));
  const until = Date.now() + 30_000;
  // Serving: the pid, then the port the plugin prints once its gRPC server listens.
  while (!/pid \d+\n\d+/.test(seen.out) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(seen.out, seen.err).toMatch(/pid \d+\n\d+/);
  const pid = Number(/pid (\d+)/.exec(seen.out)?.[1]);
  expect(alive(pid)).toBe(true);
  return { engine, pid, seen };
}

/** Whether the plugin `pid` is still running 5 s on; it is killed then whatever the outcome, leaving nothing behind. */
async function stillAliveAfterWait(pid: number): Promise<boolean> {
  const gone = Date.now() + 5_000;
  while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  const stillAlive = alive(pid);
  if (stillAlive) process.kill(pid, "SIGKILL");
  return stillAlive;
}

describe("the migration plugin's lifetime", () => {
  it("ends when its engine is killed with SIGKILL", async () => {
    const { engine, pid, seen } = await startedPlugin();
    engine.kill("SIGKILL");
    expect(await stillAliveAfterWait(pid)).toBe(false);
    expect(seen.err).toContain("applying no further migration, then exiting.");
  }, 60_000);

  it("ends when its engine is killed and its output has nowhere to go", async () => {
    const { engine, pid } = await startedPlugin();
    engine.kill("SIGKILL");
    // The engine's ends of the plugin's stdout and stderr close with it, before the plugin notices.
    engine.stdout.destroy();
    engine.stderr.destroy();
    expect(await stillAliveAfterWait(pid)).toBe(false);
  }, 60_000);
});
