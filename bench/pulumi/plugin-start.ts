/**
 * bench/pulumi/plugin-start.ts: from a provider plugin's launch to the port it prints, the time the
 * engine waits before it registers anything else (issue 29): the migration plugin
 * (infra/migrations/plugin, as built), a do-nothing provider on the SDK's provider server and one on
 * grpc-js alone (../lib/floor-plugins.ts, bundled and started with their code cache as the migration
 * plugin is), against Node's floor, `node -e` printing a number (through sh, as the plugins'
 * wrappers are). Each is launched as the engine launches it (its wrapper, an engine address as its
 * one argument, which none calls at its start) and killed once its port is out. In rounds, each round every one once, in an order that turns
 * round by round; each one's time less Node's in the same round, and the median over the rounds.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/plugin-start.ts [RUNS]   (default 20)
 *
 * Runs in the environment it is given: NODE_EXTRA_CA_CERTS, when set, costs each Node process its
 * parse of that file at the start, Node's floor too.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../testbed/pulumi-project";
import { buildFloorPlugins, wrapperOf } from "../lib/floor-plugins";

const RUNS = Number(process.argv[2] ?? "20");
/** How long a start may take to print its port. */
const TIMEOUT_MS = 30_000;

/**
 * Seconds from launching `command` to its first line that is a port; the process is then killed,
 * and the promise settles once it has closed. Rejects, saying why, when it cannot start, ends
 * without a port, or prints none within TIMEOUT_MS.
 */
function untilPort(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let seconds: number | undefined;
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      if (seconds === undefined && /^\d+\s*$/m.test(out)) {
        seconds = Number(process.hrtime.bigint() - start) / 1e9;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${command} did not start: ${e.message}`));
    });
    // After its output is read to the end: a port printed just before its exit is seen.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (seconds !== undefined) resolve(seconds);
      else
        reject(
          new Error(`${command} ended (${code ?? signal}) without printing its port: ${err.trim() || "no output"}`),
        );
    });
  });
}

/** Min, median and max of `xs`, in ms. */
function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  const ms = (x: number) => `${(x * 1000).toFixed(0).padStart(5)} ms`;
  return `${ms(s[0])} ${ms(median)} ${ms(s[s.length - 1])}`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "precog-plugin-start-"));
  try {
    const floors = buildFloorPlugins(work);
    const engine = "127.0.0.1:1";
    const starts: [string, string, string[]][] = [
      ["Node's floor (node -e)", "/bin/sh", ["-c", `exec '${process.execPath}' -e 'console.log(1)'`]],
      ["the migration plugin", join(ROOT, "infra/migrations/plugin/pulumi-resource-precog-migrations"), [engine]],
      ...floors.map((f): [string, string, string[]] => [`do-nothing, ${f.mode}`, wrapperOf(f), [engine]]),
    ];
    const times = starts.map(() => [] as number[]);
    console.log(
      `RUNS ${RUNS}; load ${loadavg()[0].toFixed(2)} at the start; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? "set" : "unset"}`,
    );
    for (let round = 0; round < RUNS; round++) {
      for (let k = 0; k < starts.length; k++) {
        const i = (round + k) % starts.length;
        const [, command, args] = starts[i];
        times[i].push(await untilPort(command, args));
      }
    }
    console.log(
      `launch to port, min / median / max, and over Node's floor round by round (load ${loadavg()[0].toFixed(2)} at the end)`,
    );
    starts.forEach(([label], i) => {
      const over = i === 0 ? "" : `   over Node's floor ${stats(times[i].map((t, r) => t - times[0][r]))}`;
      console.log(`${label.padEnd(28)} ${stats(times[i])}${over}`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
