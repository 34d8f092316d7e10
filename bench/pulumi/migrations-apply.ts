/**
 * bench/pulumi/migrations-apply.ts: applying 100 pending migrations through `pulumi up` of dev (the
 * migration component) against `precog-db migrate` of the same 100 files, as whole processes in
 * turn (bench/lib/paired.js). Then the same two commands with nothing pending, so that what the
 * apply itself costs on each side can be read off the medians. Target: the up at most 10% more.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-apply.ts [RUNS]   (default 5)
 *
 * Starts a private cluster, deploys dev on it in a throwaway copy of the project, and removes both
 * at the end. Before each timed command its script writes the next 100 files (one CREATE TABLE
 * each) into its side's folder, the same bash loop on both sides: the dev copy's migrations/ for
 * `pulumi up`, a folder of its own for `precog-db migrate`, which applies them as the admin to a
 * database of its own on the same server.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Client } from "pg";
import { ROOT } from "../../tests/e2e/pulumi-project";
import { pulumiExports, withDeployedDev } from "../lib/deployed-dev";

const RUNS = process.argv[2] ?? "5";
const BATCH = 100;
const paired = resolve(__dirname, "../lib/paired.js");
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

function compare(title: string, a: string, b: string): void {
  console.log(`\n${title}`);
  console.log(
    execFileSync("node", [paired, "-n", RUNS, "--vs", `bash ${b}`, "--", "bash", a], { encoding: "utf8" }).trimEnd(),
  );
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
    const admin = new Client({
      host: "127.0.0.1",
      port: cluster.port,
      user: "postgres",
      password: cluster.password,
      database: "postgres",
    });
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
    compare(
      `apply ${BATCH} pending migrations: A = pulumi up --stack dev, B = precog-db migrate (each first writes its ${BATCH} files)`,
      upApply,
      cliApply,
    );

    const upNoop = script(join(work, "up-noop.sh"), [...pulumiEnv, up]);
    const cliNoop = script(join(work, "cli-noop.sh"), [...cliEnv, migrate]);
    compare("nothing pending: A = pulumi up --stack dev, B = precog-db migrate", upNoop, cliNoop);
  });
}

void main();
