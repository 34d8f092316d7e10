/**
 * bench/pulumi/migrations-apply-slope.ts: what each further migration costs applied through `pulumi
 * up` against through `precog-db migrate` (issue 29: the slope between 100 and 1,000 pending
 * through `up` within 10% of the command's; the fixed cost of an applying `up` over a no-op `up` at
 * most 0.4 s). Under the real CLI with an inline program holding the migration provider and
 * component (bench/lib/inline-migrations.js, stack "dev", no predecessor), so it runs on every
 * machine.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-apply-slope.ts [RUNS]   (default 5)
 *
 * In rounds (one warm-up round, then RUNS): for each batch size (100, then 1,000) and each side
 * (taking turns going first), the batch's files are written (one CREATE TABLE each, the same bash
 * loop on both sides, not timed), then the side's command applying them is timed, and the same
 * command finding nothing pending right after, so that both runs of a pair see the same files and
 * ledger. cost(N) = apply(N) - no-op, the median over the rounds of the pairs' differences (an
 * apply adds its cost to the no-op's rather than scaling it). The rounds interleave the sizes and
 * sides so that a batch of 1,000 meets a ledger only 100 longer than the batch of 100 of its round
 * (not one about 3,000 longer, as when every batch of 100 came first: what grows with the ledger
 * would count as per migration) and a change in the machine's load falls on every figure alike.
 * Printed: each round's runs, each cost, each side's slope (cost(1000) - cost(100)) / 900 per
 * migration and their ratio (and the ratio round by round, with its median), and the `up`'s fixed
 * cost, cost(100) - 100 x its slope. `precog-db migrate` applies its files as the admin to a
 * database of its own on the same server; the `up`'s migrator is the admin too. Starts a private
 * cluster and removes it and every folder at the end.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { startLocalCluster } from "../../testbed/local-cluster";
import { findEngine, ROOT } from "../../testbed/pulumi-project";
import { adminOf } from "../lib/deployed-dev";

const RUNS = Number(process.argv[2] ?? "5");
const BATCHES = [100, 1000] as const;
const RUNNER = join(ROOT, "bench/lib/inline-migrations.js");
const BIN = join(ROOT, "bin/precog-db.js");

/** Bash that writes the next `n` migration files into `dir`, numbering on from `counter`. */
function nextBatch(dir: string, counter: string, n: number): string {
  return [
    `n=$(cat '${counter}')`,
    `for ((v = n + 1; v <= n + ${n}; v++)); do`,
    `  printf -- '-- migrate:up\\nCREATE TABLE bench_%d (id int);\\n\\n-- migrate:down\\nDROP TABLE bench_%d;\\n' $v $v > '${dir}'/$v"_bench.sql"`,
    "done",
    `echo $((n + ${n})) > '${counter}'`,
  ].join("\n");
}

function script(path: string, lines: readonly string[]): string {
  writeFileSync(path, `set -e\n${lines.join("\n")}\n`);
  return path;
}

type Side = "up" | "migrate";

/** Wall seconds of `bash path`, its output discarded (as bench/lib/paired.js times a command). */
function timed(path: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", [path], { stdio: "ignore", timeout: 300_000 });
  if (r.status !== 0)
    throw new Error(`bash ${path} failed (${r.error?.message ?? `exit ${r.status}`}): run it by hand to see why`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const load = () => loadavg()[0].toFixed(2);

const exportsOf = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `export ${k}='${v}'`);

async function createDatabase(cluster: Parameters<typeof adminOf>[0], name: string): Promise<void> {
  const admin = new Client(adminOf(cluster));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

async function main(): Promise<void> {
  const engine = (await findEngine()).binDir;
  const cluster = await startLocalCluster();
  const work = mkdtempSync(join(tmpdir(), "precog-apply-slope-"));
  try {
    // The up's side: a project folder with its own file backend, migrations/ with five files applied by the first up.
    const project = join(work, "project");
    const upDir = join(project, "migrations");
    const backend = join(work, "state");
    mkdirSync(upDir, { recursive: true });
    mkdirSync(backend);
    writeFileSync(join(project, "package.json"), '{ "name": "precog-bench", "private": true }\n');
    writeFileSync(
      join(project, "Pulumi.yaml"),
      `name: precog-bench\nruntime: nodejs\nplugins:\n  providers:\n    - name: precog-migrations\n      path: ${join(ROOT, "infra/migrations/plugin")}\n`,
    );
    // The command's side: a folder and a database of its own.
    const cliDir = join(work, "cli-migrations");
    const cliCwd = join(work, "cli-cwd");
    mkdirSync(cliDir);
    mkdirSync(cliCwd);
    for (const [dir, counter] of [
      [upDir, "up-counter"],
      [cliDir, "cli-counter"],
    ]) {
      writeFileSync(join(work, counter), "0\n");
      execFileSync("bash", ["-c", nextBatch(dir, join(work, counter), 5)]);
    }
    await createDatabase(cluster, "bench_up");
    await createDatabase(cluster, "bench_cli");

    const upEnv = exportsOf({
      PATH: `${engine}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "bench",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      BENCH_ENGINE: engine,
      BENCH_MIGRATIONS: upDir,
      BENCH_ENVIRONMENT: "dev",
      BENCH_PREDECESSOR: "",
      BENCH_CONNECTION: JSON.stringify({
        host: cluster.host,
        port: cluster.port,
        database: "bench_up",
        user: cluster.user,
        password: cluster.password,
        sslMode: "disable",
      }),
    });
    const cliEnv = exportsOf({
      PATH: process.env.PATH ?? "",
      PRECOG_ENV: "dev",
      DB_HOST: cluster.host,
      DB_PORT: String(cluster.port),
      DB_USER: cluster.user,
      DB_PASSWORD: cluster.password,
      DB_NAME: "bench_cli",
      PRECOG_OPERATOR: "bench",
    });
    const up = (command: string) => `exec node '${RUNNER}' '${project}' dev ${command} with >/dev/null 2>&1`;
    const migrate = `cd '${cliCwd}'\nexec node '${BIN}' migrate --dir '${cliDir}' >/dev/null 2>&1`;

    execFileSync("bash", ["-c", `${upEnv.join("\n")}\npulumi stack init dev --cwd '${project}' >/dev/null`]);
    execFileSync("bash", [script(join(work, "deploy.sh"), [...upEnv, up("deploy")])], { stdio: "inherit" });
    execFileSync("bash", [script(join(work, "cli-first.sh"), [...cliEnv, migrate])], { stdio: "inherit" });

    const upNoop = script(join(work, "up-noop.sh"), [...upEnv, up("up")]);
    // precog-db migrate applies what is pending and is then a no-op: one script for both runs.
    const upApply = script(join(work, "up-apply.sh"), [...upEnv, up("apply")]);
    const cliRun = script(join(work, "cli-run.sh"), [...cliEnv, migrate]);
    const sides = {
      up: { apply: upApply, noop: upNoop, write: (n: number) => nextBatch(upDir, join(work, "up-counter"), n) },
      migrate: { apply: cliRun, noop: cliRun, write: (n: number) => nextBatch(cliDir, join(work, "cli-counter"), n) },
    } as const;
    console.log(
      `${cpus().length} cores, load ${load()} at the start; ${RUNS} rounds after one warm-up round, ` +
        `each: for ${BATCHES.join(" then ")} pending (one CREATE TABLE each), each side's apply then its no-op`,
    );
    const cost: Record<Side, Record<number, number[]>> = { up: { 100: [], 1000: [] }, migrate: { 100: [], 1000: [] } };
    const noop: Record<Side, number[]> = { up: [], migrate: [] };
    const loads: number[] = [];
    for (let round = 0; round <= RUNS; round++) {
      const line: string[] = [];
      for (const n of BATCHES) {
        // The sides take turns going first, so that neither always follows the other.
        for (const side of round % 2 ? (["migrate", "up"] as const) : (["up", "migrate"] as const)) {
          // The batch's files are written before the timed run, not in it: both runs of a pair see them.
          execFileSync("bash", ["-c", sides[side].write(n)]);
          const a = timed(sides[side].apply);
          const b = timed(sides[side].noop);
          line.push(`${side} ${n}: ${a.toFixed(2)} - ${b.toFixed(2)} = ${(a - b).toFixed(3)} s`);
          if (round === 0) continue;
          cost[side][n].push(a - b);
          noop[side].push(b);
        }
      }
      loads.push(loadavg()[0]);
      console.log(`${round === 0 ? "warm-up" : `round ${round}`} (load ${load()}): ${line.join("; ")}`);
    }

    const [small, big] = BATCHES;
    const rows: string[] = [];
    const slope = {} as Record<Side, number>;
    for (const side of ["up", "migrate"] as const) {
      const [s, b] = [median(cost[side][small]), median(cost[side][big])];
      slope[side] = (b - s) / (big - small);
      rows.push(
        `  ${side.padEnd(8)} cost(${small}) ${s.toFixed(3)} s, cost(${big}) ${b.toFixed(3)} s (medians of the pairs' differences; ` +
          `its no-op's median ${median(noop[side]).toFixed(2)} s); slope ${(slope[side] * 1000).toFixed(2)} ms a migration`,
      );
    }
    // Each round's own slopes (one machine state): the ratio of each round, then their median.
    const perRound = cost.up[small].map(
      (_, r) => (cost.up[big][r] - cost.up[small][r]) / (cost.migrate[big][r] - cost.migrate[small][r]),
    );
    const fixed = median(cost.up[small]) - small * slope.up;
    console.log(
      `\nsummary (load ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)} after the rounds)\n${rows.join("\n")}\n` +
        `  slope ratio up/migrate   ${(slope.up / slope.migrate).toFixed(2)}x (target: at most 1.10x); ` +
        `round by round ${perRound.map((x) => x.toFixed(2)).join(", ")}, median ${median(perRound).toFixed(2)}x\n` +
        `  up's fixed cost of applying over a no-op: cost(${small}) - ${small} x slope = ${fixed.toFixed(3)} s (target: at most 0.4 s)`,
    );
  } finally {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
