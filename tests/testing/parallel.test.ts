/**
 * Parallel safety, shown with a real parallel run: a child vitest runs the four files in
 * ./parallel in four workers at once against one provisioned test database. Every worker writes
 * the same key and then checks it sees only its own rows. With the per-test rollback fixture they
 * must all pass, and their time windows must overlap (so they really ran together); with the
 * fixture switched off (rows committed) the same files must fail, which shows the demo can fail.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanSlate } from "../../src/testing";
import { withClient } from "../../testbed/client";
import { scratchDir } from "../helpers/scratch-dir";
import { committedRows, useTestDatabase } from "./support";

const db = useTestDatabase("CREATE TABLE demo_rows (id bigserial PRIMARY KEY, key text NOT NULL, owner text NOT NULL)");
const repo = resolve(__dirname, "../..");

interface ChildRun {
  code: number | null;
  report: { numPassedTests: number; numFailedTests: number; testResults: { status: string; message: string }[] };
  windows: { me: string; started: number; ended: number; pid: number }[];
}

function runDemo(isolation: "on" | "off"): Promise<ChildRun> {
  const dir = scratchDir("parallel");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("VITEST")) env[k] = v;
  Object.assign(env, db.current.vars(), { PRECOG_DEMO_ISOLATION: isolation, PRECOG_DEMO_LOG: dir });
  const args = [
    join(repo, "node_modules/vitest/vitest.mjs"),
    "run",
    "--config",
    "tests/testing/parallel/vitest.config.ts",
    "--reporter=json",
    `--outputFile=${join(dir, "report.json")}`,
  ];
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd: repo, env, stdio: "ignore" });
    child.on("error", fail);
    child.on("exit", (code) => {
      try {
        const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
        const windows = readdirSync(dir)
          .filter((f) => f.startsWith("worker-"))
          .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
        ok({ code, report, windows });
      } catch (err) {
        fail(err);
      }
    });
  });
}

describe("four vitest workers writing the same key", () => {
  it("do not see each other's rows with the rollback fixture, while running at the same time", async () => {
    const run = await runDemo("on");
    expect(run.report.testResults.map((r) => r.message)).toEqual(["", "", "", ""]);
    expect(run.report.numPassedTests).toBe(4);
    expect(run.code).toBe(0);
    expect(new Set(run.windows.map((w) => w.pid)).size).toBe(4);
    // One moment at which all four were inside their test, holding their uncommitted rows.
    const latestStart = Math.max(...run.windows.map((w) => w.started));
    const earliestEnd = Math.min(...run.windows.map((w) => w.ended));
    expect(latestStart).toBeLessThan(earliestEnd);
    expect(await committedRows(db.current, "demo_rows")).toBe(0);
  });

  it("do see each other's rows without it, so the demo fails", async () => {
    const run = await runDemo("off");
    try {
      expect(run.code).not.toBe(0);
      // They ran together, so every worker saw the others' committed rows.
      expect(Math.max(...run.windows.map((w) => w.started))).toBeLessThan(Math.min(...run.windows.map((w) => w.ended)));
      expect(run.report.numFailedTests).toBe(4);
      expect(run.report.testResults.map((r) => r.status)).toEqual(["failed", "failed", "failed", "failed"]);
      expect(await committedRows(db.current, "demo_rows")).toBe(20);
    } finally {
      await withClient(db.current.config(), (c) => cleanSlate(c));
    }
  });
});
