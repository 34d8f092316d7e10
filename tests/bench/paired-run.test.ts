/**
 * bench/lib/paired-run.ts over bench/lib/paired.js on two scripts of known length: the figures come
 * from paired.js's --json file and agree with its text rows, which stay as bench/migrate/run.sh
 * reads them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPaired } from "../../bench/lib/paired-run";

const dir = mkdtempSync(join(tmpdir(), "precog-paired-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = (name: string, body: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${body}\n`);
  return path;
};

describe("runPaired", () => {
  it("times A against B in turn: both medians, the paired ratio and difference, and paired.js's rows", () => {
    const r = runPaired(script("a.sh", "sleep 0.3"), script("b.sh", "sleep 0.1"), { runs: 2, perCommandS: 5 });
    expect(r.a).toBeGreaterThan(0.3);
    expect(r.b).toBeGreaterThan(0.1);
    expect(r.a).toBeGreaterThan(r.b + 0.1);
    expect(r.ratio).toBeGreaterThan(1.5);
    expect(r.paired).toBeCloseTo((r.ratio - 1) * r.b, 10);
    const median = (row: string) => Number(new RegExp(`^${row}\\s+\\S+\\s+(\\S+)`, "m").exec(r.report)?.[1]);
    expect(r.report).toMatch(/^paired: 2 of 2 pairs, load \S+ at the end$/m);
    expect(median("A wall s")).toBeCloseTo(r.a, 3);
    expect(median("B wall s")).toBeCloseTo(r.b, 3);
    expect(median("A/B wall")).toBeCloseTo(r.ratio, 3);
  });
});
