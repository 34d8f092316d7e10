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
 * For each batch size (100, then 1,000) and each side, paired in turn (bench/lib/paired.js): the
 * command applying a batch (its script first writes the batch's files, one CREATE TABLE each, the
 * same bash loop on both sides) against the same command finding nothing pending right after, so
 * that both runs of a pair see the same files and ledger. cost(N) = apply(N) - no-op, the median of
 * the pairs' differences (an apply adds its cost to the no-op's rather than scaling it; the
 * ratio-based figure is printed beside it). Printed: each cost, each side's slope (cost(1000) -
 * cost(100)) / 900 per migration and their ratio, and the `up`'s fixed cost, cost(100) - 100 x
 * its slope. `precog-db migrate` applies its files as the admin to a database of its own on the
 * same server; the `up`'s migrator is the admin too. Starts a private cluster and removes it and
 * every folder at the end.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { startLocalCluster } from "../../testbed/local-cluster";
import { findEngine, ROOT } from "../../testbed/pulumi-project";
import { adminOf } from "../lib/deployed-dev";
import { type PairedRun, runPaired } from "../lib/paired-run";

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
    const cliNoop = script(join(work, "cli-noop.sh"), [...cliEnv, migrate]);
    console.log(`RUNS ${RUNS}; batches of ${BATCHES.join(" and ")} pending, one CREATE TABLE each`);
    const cost: Record<"up" | "migrate", Record<number, PairedRun>> = { up: {}, migrate: {} };
    for (const n of BATCHES) {
      const upApply = script(join(work, `up-apply-${n}.sh`), [
        ...upEnv,
        nextBatch(upDir, join(work, "up-counter"), n),
        up("apply"),
      ]);
      const cliApply = script(join(work, `cli-apply-${n}.sh`), [
        ...cliEnv,
        nextBatch(cliDir, join(work, "cli-counter"), n),
        migrate,
      ]);
      for (const [side, a, b] of [
        ["up", upApply, upNoop],
        ["migrate", cliApply, cliNoop],
      ] as const) {
        const r = runPaired(a, b, { runs: RUNS, perCommandS: 120 });
        console.log(
          `\n${side === "up" ? "pulumi up --stack dev" : "precog-db migrate"}: A = applying ${n} pending (first writing them), B = nothing pending\n${r.report}`,
        );
        cost[side][n] = r;
      }
    }

    const [small, big] = BATCHES;
    const rows: string[] = [];
    const slope: Record<string, number> = {};
    for (const side of ["up", "migrate"] as const) {
      const [s, b] = [cost[side][small], cost[side][big]];
      slope[side] = (b.difference - s.difference) / (big - small);
      rows.push(
        `  ${side.padEnd(8)} cost(${small}) ${s.difference.toFixed(3)} s, cost(${big}) ${b.difference.toFixed(3)} s ` +
          `(ratio-based ${s.paired.toFixed(3)} s, ${b.paired.toFixed(3)} s); slope ${(slope[side] * 1000).toFixed(2)} ms a migration`,
      );
    }
    const fixed = cost.up[small].difference - small * slope.up;
    console.log(
      `\nsummary (load ${require("node:os").loadavg()[0].toFixed(2)} at the end)\n${rows.join("\n")}\n` +
        `  slope ratio up/migrate   ${(slope.up / slope.migrate).toFixed(2)}x (target: at most 1.10x)\n` +
        `  up's fixed cost of applying over a no-op: cost(${small}) - ${small} x slope = ${fixed.toFixed(3)} s (target: at most 0.4 s)`,
    );
  } finally {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
