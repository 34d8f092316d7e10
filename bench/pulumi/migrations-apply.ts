/**
 * bench/pulumi/migrations-apply.ts: applying 100 pending migrations through `pulumi up` of dev (the
 * migration component) against `precog-db migrate` of the same 100 files (issue 8: the up at most
 * 10% more). Most of an up is paid with nothing to apply, so what is compared is the apply's own
 * cost on each side: each command applying 100 paired, run by run, with the same command finding
 * nothing pending right after (bench/lib/paired.js, whole processes in turn), so that load drifting
 * during the run moves both alike and both runs of a pair see nearly the same number of files and
 * ledger rows (a no-op up's cost grows with them: 5 + 100 x (RUNS + 1) by the end). Printed:
 * up(100) - up(0) against migrate(100) - migrate(0), each as the medians' difference and paired
 * ((median ratio - 1) x the no-op's median), and their ratio.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-apply.ts [RUNS]   (default 5)
 *
 * Starts a private cluster, deploys dev on it in a throwaway copy of the project, and removes both
 * at the end. Before each applying command its script writes the next 100 files (one CREATE TABLE
 * each) into its side's folder, the same bash loop on both sides: the dev copy's migrations/ for
 * `pulumi up`, a folder of its own for `precog-db migrate`, which applies them as the admin to a
 * database of its own on the same server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { ROOT } from "../../testbed/pulumi-project";
import { adminOf, pulumiExports, withDeployedDev } from "../lib/deployed-dev";
import { type PairedRun, runPaired } from "../lib/paired-run";

const RUNS = Number(process.argv[2] ?? "5");
const BATCH = 100;
const BIN = join(ROOT, "bin/precog-db.js");

/** Bash that writes the next BATCH migration files into `dir`, numbering on from `counter`. */
function nextBatch(dir: string, counter: string): string {
  return [
    `n=$(cat '${counter}')`,
    `for ((v = n + 1; v <= n + ${BATCH}; v++)); do`,
    `  printf -- '-- migrate:up\\nCREATE TABLE bench_%d (id int);\\n\\n-- migrate:down\\nDROP TABLE bench_%d;\\n' $v $v > '${dir}'/$v"_bench.sql"`,
    "done",
    `echo $((n + ${BATCH})) > '${counter}'`,
  ].join("\n");
}

function script(path: string, lines: readonly string[]): string {
  writeFileSync(path, `set -e\n${lines.join("\n")}\n`);
  return path;
}

/** Runs the pairs, prints paired.js's rows, returns the two medians and the paired difference. */
function compare(title: string, a: string, b: string): PairedRun {
  const r = runPaired(a, b, { runs: RUNS });
  console.log(`\n${title}\n${r.report}`);
  return r;
}

async function main(): Promise<void> {
  await withDeployedDev(async (project, cluster) => {
    const work = join(project.dir, "..");
    const cliDir = join(work, "cli-migrations");
    const cliCwd = join(work, "cli-cwd");
    mkdirSync(cliDir);
    mkdirSync(cliCwd);
    // Versions after the committed files (0001..0005), the same numbers on both sides.
    writeFileSync(join(work, "up-counter"), "1000\n");
    writeFileSync(join(work, "cli-counter"), "1000\n");
    const admin = new Client(adminOf(cluster));
    await admin.connect();
    await admin.query("CREATE DATABASE bench_cli");
    await admin.end();

    const pulumiEnv = pulumiExports(project.environment());
    const up = `cd '${project.dir}'\nexec pulumi up --yes --skip-preview --stack dev >/dev/null 2>&1`;
    const cliEnv = [
      `export PATH='${process.env.PATH}'`,
      "export PRECOG_ENV=dev DB_HOST=127.0.0.1 DB_USER=postgres DB_NAME=bench_cli PRECOG_OPERATOR=bench",
      `export DB_PORT=${cluster.port} DB_PASSWORD='${cluster.password}'`,
    ];
    const migrate = `cd '${cliCwd}'\nexec node '${BIN}' migrate --dir '${cliDir}' >/dev/null 2>&1`;

    const upApply = script(join(work, "up-apply.sh"), [
      ...pulumiEnv,
      nextBatch(join(project.dir, "migrations"), join(work, "up-counter")),
      up,
    ]);
    const cliApply = script(join(work, "cli-apply.sh"), [
      ...cliEnv,
      nextBatch(cliDir, join(work, "cli-counter")),
      migrate,
    ]);
    const upNoop = script(join(work, "up-noop.sh"), [...pulumiEnv, up]);
    const cliNoop = script(join(work, "cli-noop.sh"), [...cliEnv, migrate]);

    console.log(`RUNS ${RUNS}, ${BATCH} migrations a batch`);
    const up100 = compare(
      `pulumi up --stack dev: A = applying ${BATCH} pending (first writing them), B = nothing pending`,
      upApply,
      upNoop,
    );
    const cli100 = compare(
      `precog-db migrate: A = applying ${BATCH} pending (first writing them), B = nothing pending`,
      cliApply,
      cliNoop,
    );
    const row = (name: string, r: typeof up100) =>
      `  ${name.padEnd(26)} ${(r.a - r.b).toFixed(3)} s medians' difference, ${r.paired.toFixed(3)} s paired (${r.a.toFixed(2)} s - ${r.b.toFixed(2)} s)`;
    console.log(
      `\nthe apply's own cost:\n${row(`up(${BATCH}) - up(0)`, up100)}\n${row(`migrate(${BATCH}) - migrate(0)`, cli100)}\n` +
        `  ratio, paired              ${(up100.paired / cli100.paired).toFixed(2)}x (target: at most 1.10x)\n` +
        `applying ${BATCH}, whole commands (medians of separate runs): up ${up100.a.toFixed(2)} s, migrate ${cli100.a.toFixed(2)} s`,
    );
  });
}

void main();
