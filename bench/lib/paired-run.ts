/**
 * What the Pulumi benches share about timing: two bash scripts run in turn by bench/lib/paired.js,
 * its rows as the report to print, and its figures read from its --json file (not parsed from
 * the rows): both medians, the median ratio A/B taken pair by pair, the paired difference,
 * (median ratio - 1) x B's median, and the median of the differences A - B pair by pair.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const PAIRED = resolve(__dirname, "paired.js");

export interface PairedRun {
  /** paired.js's output: the start, the pairs finished and the min / median / max rows. */
  readonly report: string;
  /** A's and B's median wall seconds. */
  readonly a: number;
  readonly b: number;
  /** The median of A/B taken pair by pair. */
  readonly ratio: number;
  /** What A adds to B, paired: (ratio - 1) x b, in seconds. */
  readonly paired: number;
  /** What A adds to B, the median of A - B pair by pair, in seconds (for a cost that adds rather than scales). */
  readonly difference: number;
}

/**
 * Runs `bash a` and `bash b` in turn, `runs` pairs after one warm-up pair. The whole call is
 * bounded by `timeoutS`; by default room for every command of the warm-up and the pairs taking
 * `perCommandS` (a no-op or an apply of 100 takes about 10 to 15 s on a loaded 2-core machine).
 */
export function runPaired(
  a: string,
  b: string,
  {
    runs,
    perCommandS = 30,
    timeoutS = (runs + 1) * 2 * perCommandS,
  }: { runs: number; perCommandS?: number; timeoutS?: number },
): PairedRun {
  const dir = mkdtempSync(join(tmpdir(), "precog-paired-"));
  try {
    const json = join(dir, "figures.json");
    const report = execFileSync(
      "node",
      [PAIRED, "-n", String(runs), "--timeout", String(timeoutS), "--json", json, "--vs", `bash ${b}`, "--", "bash", a],
      { encoding: "utf8" },
    ).trimEnd();
    const figures: Record<"a" | "b" | "ratio", { median: number; samples: number[] }> = JSON.parse(
      readFileSync(json, "utf8"),
    );
    const [am, bm, ratio] = [figures.a.median, figures.b.median, figures.ratio.median];
    const differences = figures.a.samples.map((a, i) => a - figures.b.samples[i]).sort((x, y) => x - y);
    const m = differences.length >> 1;
    const difference = differences.length % 2 ? differences[m] : (differences[m - 1] + differences[m]) / 2;
    return { report, a: am, b: bm, ratio, paired: (ratio - 1) * bm, difference };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
