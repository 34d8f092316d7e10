/**
 * bench/pulumi/migrations-ledger-size.ts: what the migration component adds to a no-op `pulumi
 * preview` and `pulumi up` with 5, 434 and 5,000 migrations applied (issue 29: at most +0.3 s at
 * every size, and 5 against 5,000 within 0.1 s). Under the real CLI with an inline program
 * (bench/lib/inline-migrations.js, a whole process per command): A holds the migration provider and
 * the component of stack "test", whose gate reads its predecessor "dev" (the same number applied)
 * through a StackReference; B is the same program without them, on a stack of its own. Paired in
 * turn (bench/lib/paired.js); then A at 5,000 against A at 5, paired too. And the floor of a Node
 * provider plugin: the same program with a do-nothing provider and one resource of it in place of
 * the component (bench/lib/floor-plugin, bundled with its code cache and started as the migration
 * plugin is), on the SDK's provider server as the migration plugin is ("floor") and on grpc-js alone
 * ("floor-grpc"), each against B; and A at 5 against the first. On stacks of the 5 project.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-ledger-size.ts [RUNS]   (default 5)
 *
 * Each size has a project folder of its own with a package.json, so that the file scan keeps its
 * checksum cache as in a real project (node_modules/.cache there), and its migrations/ folder: 5
 * one-line files; 434 a link to the real history (../shared/corpus/real/langfuse, read in place,
 * never copied; left out with a note when absent); 5,000 one-line files. "Applied": each database's history table gets every file's row (version,
 * name, checksum) directly, and the stacks' first `up` records it, so that a no-op is measured at
 * that size without running 5,000 migrations' SQL (a no-op's cost depends on the ledger and the
 * files, never on what their SQL did). Starts a private cluster and removes it and every folder at
 * the end.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "pg";
import { migrationFiles } from "../../src/migrate";
import { ensureHistoryTable } from "../../src/migrate/history";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { findEngine, ROOT } from "../../testbed/pulumi-project";
import { adminOf } from "../lib/deployed-dev";
import { buildFloorPlugins, type FloorPlugin } from "../lib/floor-plugins";
import { type PairedRun, runPaired } from "../lib/paired-run";

const RUNS = Number(process.argv[2] ?? "5");
const CORPUS = resolve(ROOT, "../shared/corpus/real/langfuse/migrations");
const RUNNER = join(ROOT, "bench/lib/inline-migrations.js");
const COMMANDS = ["preview", "up"] as const;

/** One size: its label, its folder of migrations, its project folder and the variables of its runs. */
interface Size {
  readonly label: string;
  readonly project: string;
  readonly vars: Record<string, string>;
}

/** `n` one-line migration files in the new folder `dir`. */
function syntheticFolder(dir: string, n: number): string {
  mkdirSync(dir);
  for (let v = 1; v <= n; v++)
    writeFileSync(join(dir, `${String(v).padStart(5, "0")}_m${v}.sql`), `-- migrate:up\nSELECT ${v};\n`);
  return dir;
}

/** Each file of `dir` recorded as applied in a new database's history table, as the engine creates it. */
async function recordApplied(cluster: LocalCluster, database: string, dir: string): Promise<void> {
  const admin = new Client(adminOf(cluster));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const db = new Client(adminOf(cluster, database));
  await db.connect();
  try {
    await ensureHistoryTable(db);
    const files = await migrationFiles(dir);
    for (let i = 0; i < files.length; i += 1000) {
      const rows = files.slice(i, i + 1000);
      const values = rows.map((_, j) => `($${j * 3 + 1}::bigint, $${j * 3 + 2}, $${j * 3 + 3}, 'bench', 0)`);
      await db.query(
        `INSERT INTO precog_migrations.history (version, name, checksum, applied_by, duration_ms) VALUES ${values.join(", ")}`,
        rows.flatMap((f) => [f.version, f.name, f.checksum]),
      );
    }
  } finally {
    await db.end();
  }
}

/** The size whose project also has a stack for each do-nothing plugin. */
const FLOOR_SIZE = "5";

/**
 * A project folder for one size (Pulumi.yaml naming the project's migration plugin and the `floors`
 * (../lib/floor-plugins.ts), the same at every size; a package.json, `migrations/` from `files`, a
 * file backend of its own) with stacks dev and test deployed on databases of their own, every file
 * applied, and an empty stack "bare" for the program without the component; at FLOOR_SIZE, also a
 * stack for each of `floors`, named as its mode, with that plugin's resource in the component's place.
 */
async function sizeOf(
  work: string,
  label: string,
  files: (dir: string) => void,
  cluster: LocalCluster,
  engine: string,
  floors: readonly FloorPlugin[],
): Promise<Size> {
  const project = join(work, `project-${label}`);
  const backend = join(work, `state-${label}`);
  mkdirSync(project);
  mkdirSync(backend);
  writeFileSync(join(project, "package.json"), '{ "name": "precog-bench", "private": true }\n');
  const dir = join(project, "migrations");
  files(dir);
  const plugins = [["precog-migrations", join(ROOT, "infra/migrations/plugin")], ...floors.map((f) => [f.pkg, f.dir])];
  writeFileSync(
    join(project, "Pulumi.yaml"),
    `name: precog-bench\nruntime: nodejs\nplugins:\n  providers:\n${plugins.map(([name, path]) => `    - name: ${name}\n      path: ${path}\n`).join("")}`,
  );
  // dev and test as the committed stacks are: their passphrase and their one salt (so the test
  // stack's read of dev derives the key it derived for itself, as docs/pulumi-engine.md says).
  for (const stack of ["dev", "test"]) {
    const salt = /^encryptionsalt: .*$/m.exec(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    if (!salt) throw new Error(`Pulumi.${stack}.yaml has no encryptionsalt`);
    writeFileSync(join(project, `Pulumi.${stack}.yaml`), `${salt[0]}\n`);
  }
  const vars: Record<string, string> = {
    PATH: `${engine}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: readFileSync(join(ROOT, "config/local-stacks.passphrase"), "utf8").trim(),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    BENCH_ENGINE: engine,
    BENCH_MIGRATIONS: dir,
  };
  const size = { label, project, vars };
  // Each stack without the component, and the mode of its program: named as the mode for the floors.
  const bare = [["bare", "without"], ...(label === FLOOR_SIZE ? floors : []).map((f) => [f.mode, f.mode])];
  for (const stack of ["dev", "test", ...bare.map(([stack]) => stack)])
    execFileSync("pulumi", ["stack", "init", stack], {
      cwd: project,
      env: { ...process.env, ...vars },
      stdio: "ignore",
    });
  for (const stack of ["dev", "test"]) await recordApplied(cluster, `bench_${stack}_${label}`, dir);
  // The first up of dev and test creates the resource, which records the ledger (nothing is
  // pending); bare's records its stack alone, floor's its do-nothing resource.
  for (const [stack, mode] of [["dev", "with"], ["test", "with"], ...bare]) {
    const deploy = script(join(work, `deploy-${label}-${stack}.sh`), size, stack, "deploy", mode, cluster);
    execFileSync("bash", [deploy], { stdio: "inherit" });
  }
  return size;
}

/** A script that runs one command of `stack` as a whole process. */
function script(path: string, size: Size, stack: string, command: string, mode: string, cluster: LocalCluster): string {
  const connection = {
    host: cluster.host,
    port: cluster.port,
    database: `bench_${stack}_${size.label}`,
    user: cluster.user,
    password: cluster.password,
    sslMode: "disable",
  };
  const vars = {
    ...size.vars,
    BENCH_ENVIRONMENT: stack === "dev" ? "dev" : "test",
    BENCH_CONNECTION: JSON.stringify(connection),
    BENCH_PREDECESSOR: stack === "test" ? "dev" : "",
  };
  const exports = Object.entries(vars).map(([k, v]) => `export ${k}='${v}'`);
  const quiet = command === "deploy" ? "" : " >/dev/null 2>&1";
  writeFileSync(
    path,
    `${exports.join("\n")}\nexec node '${RUNNER}' '${size.project}' ${stack} ${command} ${mode}${quiet}\n`,
  );
  return path;
}

function compare(title: string, a: string, b: string): PairedRun {
  const r = runPaired(a, b, { runs: RUNS, perCommandS: 60 });
  console.log(`\n${title}\n${r.report}`);
  console.log(
    `A - B: ${(r.a - r.b).toFixed(3)} s (medians' difference), ${r.paired.toFixed(3)} s paired ((median A/B - 1) x B median), ${r.difference.toFixed(3)} s (median of the pairs' differences)`,
  );
  return r;
}

/** One line of the summary: `what` the run `r` measured, its A - B three ways. */
function row(command: string, what: string, r: PairedRun): string {
  const signed = (s: number) => `${s >= 0 ? "+" : ""}${s.toFixed(3)} s`;
  return `${command.padEnd(8)} ${what} ${signed(r.a - r.b)} medians, ${signed(r.paired)} paired, ${signed(r.difference)} pairs' differences (A ${r.a.toFixed(2)} s, B ${r.b.toFixed(2)} s)`;
}

async function main(): Promise<void> {
  const engine = (await findEngine()).binDir;
  const cluster = await startLocalCluster();
  const work = mkdtempSync(join(tmpdir(), "precog-ledger-size-"));
  try {
    const folders: [string, (dir: string) => void][] = [["5", (dir) => syntheticFolder(dir, 5)]];
    if (existsSync(CORPUS)) folders.push(["434", (dir) => symlinkSync(CORPUS, dir)]);
    else console.log(`no real history at ${CORPUS}: the 434 row is left out`);
    folders.push(["5000", (dir) => syntheticFolder(dir, 5000)]);
    const sizes: Size[] = [];
    const floors = buildFloorPlugins(work);
    for (const [label, files] of folders) sizes.push(await sizeOf(work, label, files, cluster, engine, floors));

    console.log(
      `RUNS ${RUNS}; A = stack "test" with the migration provider and component (its predecessor "dev" read through a StackReference), B = the same inline program without them`,
    );
    const small = sizes.find((size) => size.label === FLOOR_SIZE);
    if (!small) throw new Error(`no project of ${FLOOR_SIZE} migrations`);
    const rows: string[] = [];
    for (const command of COMMANDS) {
      const runs: Record<string, string> = {};
      const without: Record<string, string> = {};
      for (const size of sizes) {
        const a = script(join(work, `with-${size.label}-${command}.sh`), size, "test", command, "with", cluster);
        const b = script(join(work, `without-${size.label}-${command}.sh`), size, "bare", command, "without", cluster);
        runs[size.label] = a;
        without[size.label] = b;
        const r = compare(`no-op ${command}, ${size.label} applied: A = with the component, B = without`, a, b);
        rows.push(row(command, `${size.label.padStart(5)} applied  component`, r));
      }
      const big = compare(
        `no-op ${command}: A = with the component at 5000 applied, B = at 5`,
        runs["5000"],
        runs["5"],
      );
      rows.push(row(command, "5000 vs 5   ", big));
      const floorRuns = floors.map((f) =>
        script(join(work, `${f.mode}-${command}.sh`), small, f.mode, command, f.mode, cluster),
      );
      floors.forEach((f, i) => {
        const r = compare(
          `no-op ${command}: A = a do-nothing provider on ${f.servedBy}, B = without`,
          floorRuns[i],
          without[FLOOR_SIZE],
        );
        rows.push(row(command, `${f.mode.padEnd(12)}`, r));
      });
      const beyond = compare(
        `no-op ${command}: A = with the component at ${FLOOR_SIZE} applied, B = the do-nothing provider on ${floors[0].servedBy}`,
        runs[FLOOR_SIZE],
        floorRuns[0],
      );
      rows.push(row(command, `beyond ${floors[0].mode}`.padEnd(12), beyond));
    }
    console.log(
      `\nsummary (targets: component at most +0.3 s at every size; 5000 vs 5 at most 0.1 s; ${floors.map((f) => `${f.mode}: what a do-nothing provider on ${f.servedBy} adds`).join("; ")}; beyond ${floors[0].mode}: the component's cost over that; load ${loadavg()[0].toFixed(2)} at the end)\n${rows.join("\n")}`,
    );
  } finally {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
