/**
 * bench/pulumi/migrations-apply-slope.ts: what each further migration costs applied through `pulumi
 * up` against through `precog-db migrate` (issue 29: the slope between 100 and 1,000 pending
 * through `up` within 10% of the command's; the fixed cost of an applying `up` over a no-op `up` at
 * most 0.4 s). Under the real CLI with an inline program holding the migration provider and
 * component (bench/lib/inline-program.js, stack "dev", no predecessor), so it runs on every
 * machine.
 *
 *   npm run build && npx ts-node --transpile-only bench/pulumi/migrations-apply-slope.ts [RUNS] [--automation] [--young] [--no-events]
 *
 * In rounds (one warm-up round, then RUNS, default 8), the sides taking turns going first and the
 * sizes too: each side's no-op, then for 100 and for 1,000 pending (one CREATE TABLE each) the
 * batch's files are written (not timed), each side's apply is timed, and the side is put back as it
 * was before the batch (not timed: the files, tables and history rows removed, the checksum caches
 * emptied, the up's state refreshed from the history table). So every run meets the same ledger
 * of 5: slope = (apply(1000) - apply(100)) / 900, the cost of each further migration, and fixed
 * cost = apply(100) - 100 x slope - no-op, the apply's cost over a no-op of the same ledger. (A
 * no-op after the apply, as this bench once paired, has a ledger 1,000 longer than the apply had,
 * and subtracting it took away what the larger state costs.) Each side's command applies its files
 * as the admin to a database of its own on the same server, its folder under a package.json (so
 * its checksum cache is in node_modules/.cache, as in a checkout).
 *
 * The measured unit is the whole process. By default the `up` is `pulumi up --yes --skip-preview`
 * run directly with the program served inline (bench/lib/inline-cli-up.js), as the Automation API
 * runs it but without its five other commands around it (version, stack select, two stack output,
 * stack history), whose second or so is the same in an apply and a no-op and only added noise;
 * `--automation` times the Automation API's whole up instead (bench/lib/inline-migrations.js).
 * The files are written at least 2.2 s before the timed runs, as a checkout's or an editor's are,
 * so that neither side's checksum cache refuses them as too young (checksum-cache.ts: a file
 * younger than 2 s is never trusted; its mtime could be set back, but not its ctime, which the
 * cache compares too); `--young` times them right after writing.
 *
 * Printed, for each measure: each side's no-op, applies, slope (mean over the rounds ± standard
 * error), fixed cost; the slopes' ratio; the target's margin round by round, slope(up) - 1.1 x
 * slope(migrate), as a mean with its 95% interval and whether the interval shows the target met,
 * not met, or neither; the same for the fixed cost against 0.4 s. The measure is the wall seconds
 * of the whole processes; beside it, from the same runs: the up's CLI process alone (the runner's
 * own start left out, its noisiest part); the CPU seconds of each whole process tree (not the
 * database server's) and the up's by process (the program in the runner, the migration plugin,
 * the CLI); the up's phases as the runner sees them, and the migration resource's update step
 * from the engine's events (`--no-events` leaves the event stream out: it carries the resource's
 * whole state, about 440 characters a migration, whose reading the bench prints). Starts a private
 * cluster and removes it and every folder at the end.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type ClientConfig } from "pg";
import { startLocalCluster } from "../../testbed/local-cluster";
import { findEngine, ROOT } from "../../testbed/pulumi-project";
import { adminOf } from "../lib/deployed-dev";
import { against, mean, median, se } from "../lib/round-stats";

const args = process.argv.slice(2);
const RUNS = Number(args.find((a) => !a.startsWith("--")) ?? "8");
const AUTOMATION = args.includes("--automation");
const YOUNG = args.includes("--young");
const EVENTS = !args.includes("--no-events");
const SMALL = 100;
const BIG = 1000;
/** Files this much older than their write are trusted by the checksum cache (its 2 s, and a margin). */
const AGE_MS = 2200;
/** The ledger every batch meets: the first five files, applied at the setup. */
const BASE = 5;
const INLINE = join(ROOT, "bench/lib/inline-migrations.js");
const CLI_UP = join(ROOT, "bench/lib/inline-cli-up.js");
const BIN = join(ROOT, "bin/precog-db.js");

type Side = "up" | "migrate";

/** Writes migration files `from`..`to` (one CREATE TABLE each) into `dir`. */
function writeBatch(dir: string, from: number, to: number): void {
  for (let v = from; v <= to; v++) {
    writeFileSync(
      join(dir, `${v}_bench.sql`),
      `-- migrate:up\nCREATE TABLE bench_${v} (id int);\n\n-- migrate:down\nDROP TABLE bench_${v};\n`,
    );
  }
}

function script(path: string, lines: readonly string[]): string {
  writeFileSync(path, `set -e\n${lines.join("\n")}\n`);
  return path;
}

/**
 * Wall seconds of `bash path`, the CPU seconds (user + sys) of every process it ran and waited for
 * (bash's `times` for its children: the runner, the CLI and the plugins it starts, not the database
 * server), and its stdout (the up's runner prints its step there).
 */
function timed(path: string): { s: number; cpu: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", ["-c", 'bash "$1"; s=$?; times; exit $s', "_", path], {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
    encoding: "utf8",
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(`bash ${path} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr.slice(-3000)}`);
  const lines = r.stdout.trimEnd().split("\n");
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.pop() ?? "");
  lines.pop();
  if (!children) throw new Error(`no times line from bash: ${r.stdout}`);
  const [, um, us, sm, ss] = children.map(Number);
  return { s, cpu: um * 60 + us + sm * 60 + ss, out: lines.join("\n") };
}

/** What inline-cli-up.js prints of an up: the migration resource's step, its own and the plugin's CPU seconds. */
interface UpFigures {
  /** With the events only (not --no-events), as the phases. */
  readonly step: number;
  readonly cpu: number;
  readonly pluginCpu: number;
  /** The CLI's process from its start to its exit. */
  readonly cli: number;
  /** Seconds of each of PHASES. */
  readonly phases: readonly number[];
  /** The events' characters, and the seconds the runner took reading them. */
  readonly eventBytes: number;
  readonly eventSeconds: number;
}
const PHASES = [
  "the runner's start",
  "CLI to its first event",
  "to the migration step",
  "the step",
  "to the summary event",
  "to the CLI's exit",
] as const;
function upFigures(out: string, op: string): UpFigures {
  const got = JSON.parse(out.trim().split("\n").pop() ?? "{}") as Partial<UpFigures> & { op?: string };
  const events = !EVENTS || (got.op === op && typeof got.step === "number" && got.phases?.length === PHASES.length);
  if (!events || typeof got.cpu !== "number" || typeof got.pluginCpu !== "number" || typeof got.cli !== "number")
    throw new Error(`expected the migration resource's ${op} step and the CPU seconds, got ${out}`);
  return got as UpFigures;
}

const load = () => loadavg()[0].toFixed(2);
const ms = (x: number) => `${(x * 1000).toFixed(3)} ms`;
const sec = (x: number) => `${x.toFixed(3)} s`;

const exportsOf = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `export ${k}='${v}'`);

async function sql(config: ClientConfig, text: string): Promise<void> {
  const c = new Client(config);
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Drops the batch's tables and history rows: the database as before the batch. */
const undoBatch = (from: number, to: number) => `
  DO $$ BEGIN FOR v IN ${from}..${to} LOOP EXECUTE format('DROP TABLE IF EXISTS bench_%s', v); END LOOP; END $$;
  DELETE FROM precog_migrations.history WHERE version > ${BASE};`;

async function main(): Promise<void> {
  const engine = (await findEngine()).binDir;
  const cluster = await startLocalCluster();
  const work = mkdtempSync(join(tmpdir(), "precog-apply-slope-"));
  try {
    // Each side: a project folder (a package.json, so that its checksum cache is under its
    // node_modules/.cache as in a checkout) with its migrations/ and a database of its own.
    const folders = (name: string) => {
      const project = join(work, name);
      const dir = join(project, "migrations");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(project, "package.json"), '{ "name": "precog-bench", "private": true }\n');
      writeBatch(dir, 1, BASE);
      return { project, dir, cache: join(project, "node_modules") };
    };
    const upSide = folders("project");
    const cliSide = folders("cli-project");
    const backend = join(work, "state");
    mkdirSync(backend);
    writeFileSync(
      join(upSide.project, "Pulumi.yaml"),
      `name: precog-bench\nruntime: nodejs\nplugins:\n  providers:\n    - name: precog-migrations\n      path: ${join(ROOT, "infra/migrations/plugin")}\n`,
    );
    const admin = adminOf(cluster);
    await sql(admin, "CREATE DATABASE bench_up");
    await sql(admin, "CREATE DATABASE bench_cli");

    const upEnv = exportsOf({
      PATH: `${engine}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "bench",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      BENCH_ENGINE: engine,
      BENCH_MIGRATIONS: upSide.dir,
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
    const p = upSide.project;
    const inline = (command: string) => `exec node '${INLINE}' '${p}' dev ${command} with >/dev/null 2>&1`;
    const up = (command: "up" | "apply") =>
      AUTOMATION ? inline(command) : `exec node '${CLI_UP}' '${p}' dev ${command} ${EVENTS ? "events" : "no-events"}`;
    const migrate = `cd '${cliSide.project}'\nexec node '${BIN}' migrate --dir '${cliSide.dir}' >/dev/null 2>&1`;

    execFileSync("bash", ["-c", `${upEnv.join("\n")}\npulumi stack init dev --cwd '${p}' >/dev/null`]);
    execFileSync("bash", [script(join(work, "deploy.sh"), [...upEnv, inline("deploy")])], { stdio: "inherit" });
    const cliRun = script(join(work, "cli-run.sh"), [...cliEnv, migrate]);
    execFileSync("bash", [cliRun], { stdio: "inherit" });
    const refresh = script(join(work, "refresh.sh"), [...upEnv, inline("refresh")]);

    // precog-db migrate applies what is pending and is then a no-op: one script for both runs.
    const sides = {
      up: {
        apply: script(join(work, "up-apply.sh"), [...upEnv, up("apply")]),
        noop: script(join(work, "up-noop.sh"), [...upEnv, up("up")]),
        folders: upSide,
        database: "bench_up",
      },
      migrate: { apply: cliRun, noop: cliRun, folders: cliSide, database: "bench_cli" },
    } as const;
    /** Puts `side` back as before the batch `from`..`to`: its files, tables and history rows gone, its caches empty, the up's state refreshed. */
    const undo = async (side: Side, from: number, to: number) => {
      const s = sides[side];
      for (let v = from; v <= to; v++) rmSync(join(s.folders.dir, `${v}_bench.sql`));
      rmSync(s.folders.cache, { recursive: true, force: true });
      await sql({ ...admin, database: s.database }, undoBatch(from, to));
      if (side === "up") execFileSync("bash", [refresh]);
    };

    console.log(
      `${cpus().length} cores, load ${load()} at the start; ${RUNS} rounds after one warm-up round, each: ` +
        `each side's no-op, then ${SMALL} and ${BIG} pending (one CREATE TABLE each), every run over the same ledger of ${BASE}; ` +
        `the up: ${AUTOMATION ? "the Automation API's whole up" : "pulumi up run directly, the program inline"}; ` +
        `the files ${YOUNG ? "timed right after writing" : `written at least ${AGE_MS / 1000} s before`}`,
    );
    interface Run {
      readonly s: number;
      readonly cpu: number;
      /** What the up's runner reports (not with --automation). */
      readonly up?: UpFigures;
    }
    interface Round {
      readonly noop: Partial<Record<Side, Run>>;
      readonly apply: Record<Side, Record<number, Run>>;
    }
    const rounds: Round[] = [];
    const loads: number[] = [];
    let next = BASE + 1;
    const run = (side: Side, what: "apply" | "noop"): Run => {
      const t = timed(sides[side][what]);
      return side === "up" && !AUTOMATION ? { ...t, up: upFigures(t.out, what === "apply" ? "update" : "same") } : t;
    };
    const show = (x: Run) =>
      `${x.s.toFixed(2)} s (CPU ${x.cpu.toFixed(2)}${x.up && EVENTS ? `, step ${x.up.step.toFixed(3)}` : ""})`;
    for (let round = 0; round <= RUNS; round++) {
      const line: string[] = [];
      const r: Round = { noop: {}, apply: { up: {}, migrate: {} } };
      const order: Side[] = round % 2 ? ["migrate", "up"] : ["up", "migrate"];
      // The no-op each apply is measured against: the same ledger, its files and nothing pending.
      for (const side of order) {
        r.noop[side] = run(side, "noop");
        line.push(`${side} no-op ${show(r.noop[side])}`);
      }
      for (const n of (round >> 1) % 2 ? [BIG, SMALL] : [SMALL, BIG]) {
        const [from, to] = [next, next + n - 1];
        next += n;
        // Written before the timed runs, not in them.
        const written = Date.now();
        for (const side of order) writeBatch(sides[side].folders.dir, from, to);
        if (!YOUNG) await new Promise((ok) => setTimeout(ok, Math.max(0, written + AGE_MS - Date.now())));
        for (const side of order) {
          r.apply[side][n] = run(side, "apply");
          line.push(`${side} ${n} ${show(r.apply[side][n])}`);
          await undo(side, from, to);
        }
      }
      if (round > 0) rounds.push(r);
      loads.push(loadavg()[0]);
      console.log(`${round === 0 ? "warm-up" : `round ${round}`} (load ${load()}): ${line.join("; ")}`);
    }

    /** Per round: the slope (apply(1000) - apply(100)) / 900 and the fixed cost apply(100) - 100 x slope - no-op, of `value`. */
    const lineOf = (side: Side, value: (x: Run, side: Side) => number) => {
      const slope = rounds.map(
        (r) => (value(r.apply[side][BIG], side) - value(r.apply[side][SMALL], side)) / (BIG - SMALL),
      );
      const noop = rounds.map((r) => value(r.noop[side] as Run, side));
      const fixed = rounds.map((r, i) => value(r.apply[side][SMALL], side) - SMALL * slope[i] - noop[i]);
      const at = (n: number) => mean(rounds.map((r) => value(r.apply[side][n], side)));
      return { slope, fixed, noop, at };
    };
    /** One measure's lines: each side's runs and slope, their ratio, and with `verdict` (the measure the targets name) the targets' verdicts. */
    const figures = (title: string, value: (x: Run, side: Side) => number, verdict: boolean) => {
      const up = lineOf("up", value);
      const migrate = lineOf("migrate", value);
      const lines = [`  ${title}`];
      for (const [side, l] of [
        ["up", up],
        ["migrate", migrate],
      ] as const) {
        lines.push(
          `    ${side.padEnd(8)} no-op ${sec(mean(l.noop))}, apply ${SMALL}: ${sec(l.at(SMALL))}, ${BIG}: ${sec(l.at(BIG))} (means); ` +
            `slope ${ms(mean(l.slope))} ± ${ms(se(l.slope))} a migration (mean ± standard error); fixed cost over the no-op ${sec(mean(l.fixed))} ± ${sec(se(l.fixed))}`,
        );
      }
      const [su, sm] = [mean(up.slope), mean(migrate.slope)];
      // The ratio's standard error by the delta method, the rounds paired.
      const ratioSe = se(rounds.map((_, i) => up.slope[i] - (su / sm) * migrate.slope[i])) / sm;
      const margin = rounds.map((_, i) => up.slope[i] - 1.1 * migrate.slope[i]);
      lines.push(`    slope ratio up/migrate ${(su / sm).toFixed(2)}x ± ${ratioSe.toFixed(2)}`);
      if (verdict) {
        lines.push(`    slope(up) - 1.1 x slope(migrate), round by round: ${against(margin, 0, ms)}`);
        lines.push(`    up's fixed cost over its no-op, round by round: ${against(up.fixed, 0.4, sec)}`);
      } else {
        // Not the targets' measure: no verdict, only what the up spends beyond the command.
        const excess = rounds.map((_, i) => up.slope[i] - migrate.slope[i]);
        lines.push(`    slope(up) - slope(migrate): ${ms(mean(excess))} ± ${ms(se(excess))} a migration`);
      }
      return lines;
    };
    const upOf = (x: Run) => x.up as UpFigures;
    const part = (name: string, value: (x: Run) => number) => {
      const l = lineOf("up", value);
      return `${name}: a no-op's ${sec(mean(l.noop))}, slope ${ms(mean(l.slope))} ± ${ms(se(l.slope))}, fixed ${sec(mean(l.fixed))} ± ${sec(se(l.fixed))}`;
    };
    const out = [
      `\nsummary (${rounds.length} rounds, load ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)} after the rounds)`,
      ...figures("the measure: wall seconds of the whole processes", (x) => x.s, true),
    ];
    if (!AUTOMATION) {
      // The runner's own start (Node and the SDK's modules, before it starts the CLI) is the same in
      // every run and the noisiest part of it: the CLI's process alone, from its start to its exit.
      out.push(
        ...figures(
          "the same runs, the up's CLI process alone (from its start to its exit, the runner's start left out), against the command's whole process",
          (x, side) => (side === "up" ? upOf(x).cli : x.s),
          true,
        ),
      );
    }
    out.push(
      ...figures(
        "the same runs, CPU seconds of the whole process trees (user + sys; not the database server's, the same statements on both sides)",
        (x) => x.cpu,
        false,
      ),
    );
    if (!AUTOMATION) {
      out.push(
        `    the up's CPU by process: ${part("the program (the runner's own process)", (x) => upOf(x).cpu)}; ` +
          `${part("the migration plugin", (x) => upOf(x).pluginCpu)}; ` +
          `${part("the CLI (the rest)", (x) => x.cpu - upOf(x).cpu - upOf(x).pluginCpu)}`,
      );
    }
    if (!AUTOMATION && EVENTS) {
      // Where the up's whole-process slope and its noise are: each phase's slope and fixed cost, and its spread across the no-ops.
      const phases = PHASES.map((name, i) => {
        const noop = rounds.map((r) => upOf(r.noop.up as Run).phases[i]);
        const sd = se(noop) * Math.sqrt(noop.length);
        return `${part(name, (x) => upOf(x).phases[i])} (sd of the no-ops ${sec(sd)})`;
      });
      out.push(`  the same ups' wall seconds by phase, as the runner sees them: ${phases.join("; ")}`);
      const bytes = lineOf("up", (x) => upOf(x).eventBytes);
      out.push(
        `    what the event stream adds (it carries the migration resource's whole state): ${(mean(bytes.slope)).toFixed(0)} characters a migration; ` +
          part("the runner's reading of them", (x) => upOf(x).eventSeconds),
      );
      const step = lineOf("up", (x) => upOf(x).step);
      const command = mean(lineOf("migrate", (x) => x.s).slope);
      out.push(
        "  the same ups, the migration resource's update step (engine events: the apply in the plugin and the checkpoints; not the program's read of the new files)",
        `    ${SMALL}: ${sec(step.at(SMALL))}, ${BIG}: ${sec(step.at(BIG))}, a no-op's step ${sec(median(step.noop))} (median); ` +
          `slope ${ms(mean(step.slope))} ± ${ms(se(step.slope))}, ${(mean(step.slope) / command).toFixed(2)}x the command's whole-process slope`,
      );
    }
    console.log(out.join("\n"));
  } finally {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
