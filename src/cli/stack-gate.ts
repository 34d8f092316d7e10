/**
 * The command line's side of the stack-order gate (the rule is src/migrate/stack-order.ts, the
 * component's too). Before `migrate` applies anything on a stack that names a predecessor
 * (`precog:migrations.predecessor` in `Pulumi.<env>.yaml` of the Pulumi project, the working
 * folder), it reads that stack's `migrations` output (its ledger summary) with the Pulumi CLI and
 * refuses every pending migration the predecessor has not applied with the same checksum; the
 * engine re-checks the same set (`allowed`) under its lock. Staging and prod need the project;
 * dev and test without one have no order to follow. `--skip-stack-order` skips the gate on dev and
 * test, logged with the operator; staging and prod refuse it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { currentOperator, ENVIRONMENT_TRAITS, type Environment, environmentsWhere } from "../env/environment";
import { type LedgerSummary, summaryFromOutput } from "../migrate/ledger-summary";
import type { CommandContext } from "./context";

export type Allowed = readonly { readonly version: string; readonly checksum: string }[];

/** The set the engine may apply (undefined: no gate), or throws the gate's refusal. */
export async function stackOrderGate(ctx: CommandContext): Promise<Allowed | undefined> {
  const target = ctx.target;
  if (!target) throw new Error("the stack-order gate needs the target database (a verb with database in verbs.ts)");
  const env = target.choice.env;
  if (ctx.values["skip-stack-order"]) {
    if (!ENVIRONMENT_TRAITS[env].maySkipStackOrder) {
      throw new Error(
        `--skip-stack-order is for ${environmentsWhere("maySkipStackOrder").join(" and ")} only: ${env}'s migrations always follow the stack order (dev -> test -> staging -> prod). Nothing was applied.`,
      );
    }
    ctx.out.err(`warning: stack-order gate skipped on ${env} by ${currentOperator(ctx.vars)} (--skip-stack-order)`);
    return undefined;
  }
  const predecessor = await predecessorOf(ctx, env);
  if (predecessor === undefined) return undefined;
  const summary = await predecessorSummary(ctx, env, predecessor);
  const {
    allowedOf,
    compareVersions,
    migrationFiles,
    pendingOf,
    predecessorView,
    readHistory,
    stackOrderError,
    stackOrderProblems,
  } = await import("../migrate/index");
  const [files, history] = await Promise.all([
    migrationFiles(ctx.dir),
    readHistory({ connection: target.connection, environment: env, prodConfirmed: true }),
  ]);
  const to = ctx.values.to;
  const pending = pendingOf(files, (f) => f.version, history).filter(
    (f) => to === undefined || !/^\d+$/.test(to) || compareVersions(f.version, to) <= 0,
  );
  const view = predecessorView(summary, files);
  const gate = { stack: env, pending, predecessor, predecessorApplied: view };
  const problems = stackOrderProblems(gate);
  if (problems.length > 0) {
    const refusal = stackOrderError(gate, problems).message;
    throw new Error(
      `${refusal}\nNothing was applied.${ENVIRONMENT_TRAITS[env].maySkipStackOrder ? skipHint(env) : ""}`,
    );
  }
  return allowedOf(view, files);
}

function skipHint(env: Environment): string {
  return ` To migrate ${env} out of order on purpose, pass --skip-stack-order (logged).`;
}

/** The stack before `env`, from its stack file; undefined when it names none (dev) or, off staging and prod, has none. */
async function predecessorOf(ctx: CommandContext, env: Environment): Promise<string | undefined> {
  const stackFile = join(ctx.cwd, `Pulumi.${env}.yaml`);
  if (!existsSync(join(ctx.cwd, "Pulumi.yaml")) || !existsSync(stackFile)) {
    if (ENVIRONMENT_TRAITS[env].maySkipStackOrder) return undefined;
    throw new Error(
      `${env}'s migrations follow the stack order (precog:migrations.predecessor in Pulumi.${env}.yaml), but ${ctx.cwd} has no Pulumi.yaml and Pulumi.${env}.yaml: run precog-db migrate from the Pulumi project's folder. Nothing was applied.`,
    );
  }
  // Cheap first look, so a stack file that names no predecessor (dev) costs no Pulumi process.
  if (!/\bpredecessor\b/.test(readFileSync(stackFile, "utf8"))) return undefined;
  const r = await pulumi(ctx, ["config", "get", "--stack", env, "--path", "precog:migrations.predecessor"]);
  if (r.code === 0) return r.stdout.trim() || undefined;
  if (/configuration key .* not found/.test(r.stderr)) return undefined;
  throw pulumiError(env, `read precog:migrations.predecessor of stack "${env}"`, r, env);
}

/** The predecessor's `migrations` output, as a summary; an error that says to deploy it when it has none. */
async function predecessorSummary(ctx: CommandContext, env: Environment, predecessor: string): Promise<LedgerSummary> {
  const r = await pulumi(ctx, ["stack", "output", "--stack", predecessor, "--json", "migrations"]);
  const deployFirst = () =>
    new Error(
      `Stack "${env}" applies migrations only after "${predecessor}" has, but "${predecessor}" has no migrations ledger: ` +
        `deploy it first (pulumi up --stack ${predecessor}), or fix precog:migrations.predecessor. Nothing was applied.`,
    );
  if (r.code !== 0) {
    if (/no stack named|does not have output property/.test(r.stderr)) throw deployFirst();
    throw pulumiError(env, `read the migrations output of stack "${predecessor}"`, r, predecessor);
  }
  let output: unknown;
  try {
    output = JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `pulumi stack output --stack ${predecessor} --json migrations printed no JSON: run it to see what it printed ` +
        `(the stack's \`migrations\` output, an object, is what the gate reads). Nothing was applied; run again once it prints that output.`,
    );
  }
  const summary = summaryFromOutput(output, predecessor);
  if (summary === undefined) throw deployFirst();
  return summary;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The Pulumi CLI in the project's folder, with the process's own environment (backend, passphrase). */
function pulumi(ctx: CommandContext, args: readonly string[]): Promise<Run> {
  // Required here: a stack without a predecessor (dev) never runs Pulumi, so never loads this.
  const { execFile } = require("node:child_process") as typeof import("node:child_process");
  return new Promise((ok) => {
    execFile(
      "pulumi",
      [...args],
      { cwd: ctx.cwd, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 120_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? ((err as NodeJS.ErrnoException).code === "ENOENT" ? -1 : Number(err.code ?? 1) || 1) : 0;
        ok({ code, stdout, stderr });
      },
    );
  });
}

function pulumiError(env: Environment, what: string, r: Run, stack: string): Error {
  const why =
    r.code === -1
      ? 'the Pulumi CLI is not on PATH: run eval "$(bash scripts/pulumi-engine.sh env)" (or install it) first'
      : `pulumi said: ${r.stderr.trim().split("\n").slice(-3).join(" ")}; check the backend (pulumi login, PULUMI_BACKEND_URL) and that stack "${stack}" exists`;
  const skip = ENVIRONMENT_TRAITS[env].maySkipStackOrder ? skipHint(env) : "";
  return new Error(`The stack-order gate could not ${what}: ${why}. Nothing was applied.${skip}`);
}
