/**
 * bench/pulumi/migrations-noop.ts: what the migration component adds to a no-op `pulumi preview`
 * and a no-op `pulumi up` of dev (issue 8: at most 0.3 s, and no more than one query). Two dev
 * stacks deployed from the same config, each in a copy of its own on a cluster of its own: A runs
 * the project's program, B the same program without the component (bench/lib/without-migrations.js:
 * no product config key just for this), timed as whole processes in turn (bench/lib/paired.js).
 * Then one more no-op preview and up of A with the server logging every statement, counting those
 * of the migrator's sessions (the component's login; nothing else logs in as it). Then the same
 * pairs with 434 and 5,000 applied (issue 29's sizes, for the whole program): one-line files after
 * the project's own (`SELECT n`; the real history of 434 would collide with the project's tables),
 * applied by an `up` of A and left 2.2 s to age, so that the stat cache trusts them as it does a
 * checkout's files.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-noop.ts [RUNS]   (default 10)
 *
 * It deploys the whole dev program, so it runs where Pulumi's Node.js language host and the upstream
 * plugins (postgresql, random) are installed; elsewhere the first `up` fails naming what is missing.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withClient } from "../../testbed/client";
import type { LocalCluster } from "../../testbed/local-cluster";
import type { PulumiProject } from "../../testbed/pulumi-project";
import { adminOf, pulumiExports, withDeployedDevPair } from "../lib/deployed-dev";
import { runPaired } from "../lib/paired-run";

const RUNS = Number(process.argv[2] ?? "10");
/** The sizes measured after the project's own migrations, as files applied in all. */
const LARGER = [434, 5000];
const COMMANDS = [
  { name: "preview", args: "preview --expect-no-changes --stack dev" },
  { name: "up", args: "up --yes --skip-preview --expect-no-changes --stack dev" },
];

/** A script that runs one pulumi command in the copy with its environment. */
function script(path: string, project: PulumiProject, args: string): string {
  writeFileSync(
    path,
    `${pulumiExports(project.environment()).join("\n")}\ncd '${project.dir}'\nexec pulumi ${args} >/dev/null 2>&1\n`,
  );
  return path;
}

/** paired.js's rows, and what the component adds: the medians' difference and the paired one. */
function compare(title: string, a: string, b: string): void {
  const r = runPaired(a, b, { runs: RUNS });
  console.log(`\n${title}\n${r.report}`);
  console.log(
    `component adds: ${(r.a - r.b).toFixed(3)} s (medians' difference), ${r.paired.toFixed(3)} s paired ((median A/B - 1) x B median)`,
  );
}

/** One-line migrations after the project's own in `dir`, up to `total` files in all. */
function addMigrations(dir: string, total: number): void {
  const have = readdirSync(dir).filter((f) => f.endsWith(".sql")).length;
  for (let v = have + 1; v <= total; v++)
    writeFileSync(join(dir, `${String(v).padStart(4, "0")}_bench_${v}.sql`), `-- migrate:up\nSELECT ${v};\n`);
}

/** The migrator's statements in the server log written while `run` ran (log_statement=all for that time). */
async function countStatements(
  cluster: LocalCluster,
  migrator: string,
  run: () => Promise<unknown>,
): Promise<{ statements: string[]; connections: number; everyone: number }> {
  const admin = adminOf(cluster);
  const settings = [
    ["log_statement", "all"],
    ["log_connections", "on"],
    ["log_line_prefix", "%m [%p] user=%u app=%a "],
  ];
  await withClient(admin, async (c) => {
    for (const [k, v] of settings) await c.query(`ALTER SYSTEM SET ${k} = '${v}'`);
    await c.query("SELECT pg_reload_conf()");
  });
  await new Promise((r) => setTimeout(r, 500));
  const from = statSync(cluster.logFile).size;
  try {
    await run();
  } finally {
    await withClient(admin, async (c) => {
      for (const [k] of settings) await c.query(`ALTER SYSTEM RESET ${k}`);
      await c.query("SELECT pg_reload_conf()");
    });
  }
  const lines = readFileSync(cluster.logFile, "utf8").slice(from).split("\n");
  const statement = (l: string) => /LOG:\s+(statement|execute [^:]*):/.test(l);
  const mine = lines.filter((l) => l.includes(` user=${migrator} `));
  return {
    statements: mine.filter(statement),
    connections: mine.filter((l) => /LOG:\s+connection authorized/.test(l)).length,
    // Every session's, the provisioning provider's included: shows that the logging was on.
    everyone: lines.filter(statement).length,
  };
}

async function main(): Promise<void> {
  await withDeployedDevPair(async (full, bare) => {
    const work = join(full.project.dir, "..");
    console.log(
      `RUNS ${RUNS}; A = dev with the migration component, B = dev without it (each its own copy and cluster)`,
    );
    // B's script for each command, the same at every size: B has no migrations.
    const without: Record<string, string> = {};
    for (const { name, args } of COMMANDS) {
      const a = script(join(work, `with-${name}.sh`), full.project, args);
      without[name] = script(join(work, `without-${name}.sh`), bare.project, args);
      compare(`no-op pulumi ${name}: A = with the component, B = without it`, a, without[name]);
    }

    const migrator: string = (await full.project.outputs("dev")).roles.migrator;
    for (const { name, args } of COMMANDS) {
      const counted = await countStatements(full.cluster, migrator, () => full.project.ok(args.split(" ")));
      console.log(
        `\nno-op pulumi ${name} of A, server logging every statement: ${counted.statements.length} statement(s) in ${counted.connections} session(s) of the migrator (${migrator}); ${counted.everyone} statement(s) of all sessions`,
      );
      for (const s of counted.statements) console.log(`  ${s.replace(/^.*?LOG:\s+/, "")}`);
    }

    for (const total of LARGER) {
      addMigrations(join(full.project.dir, "migrations"), total);
      await full.project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
      await new Promise((r) => setTimeout(r, 2200));
      for (const { name, args } of COMMANDS) {
        const a = script(join(work, `with-${name}-${total}.sh`), full.project, args);
        compare(`no-op pulumi ${name}, ${total} applied: A = with the component, B = without it`, a, without[name]);
      }
    }
  });
}

void main();
