/**
 * `down`'s side of the stack-order gate (stack-gate.ts): the next stack's gate reads only this
 * stack's recorded ledger (its migration resource's state and the `migrations` and `schemaVersion`
 * outputs), so a rollback on a database a stack records must be recorded there too, or the next
 * stack applies a migration this one no longer has. After the rollback, `down` runs
 *
 *   pulumi refresh --stack <env> --run-program --target <migration resource URN> --yes --skip-preview
 *
 * in the project's folder: the program runs, the plugin's Read takes the ledger from the database,
 * and the outputs are written again. Before anything is rolled back it checks that it can (the
 * project's Pulumi.yaml, the Pulumi CLI, the stack with a migration resource in its backend), and
 * refuses otherwise.
 *
 * Which databases a stack records: the one its committed stack file names (precog:database) on an
 * environment that is some stack's predecessor (precog:migrations.predecessor). Any other
 * database (a scratch one, another name) is left alone; `--skip-stack-refresh` says the database
 * of that name is no stack's (another server), logged with the operator.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { committedStack } from "../config/stack-file";
import { currentOperator, ENVIRONMENTS, type Environment, PROTECTED_ENVIRONMENTS } from "../env/environment";
import type { CommandContext } from "./context";
import { isProjectDir, LocalStack } from "./local-stack";

/** A refresh to run once the rollback is done. */
export interface LedgerRefresh {
  readonly stack: string;
  readonly urn: string;
  /** The stacks whose gate reads this one. */
  readonly successors: readonly string[];
  run(): Promise<void>;
}

/** The refresh `down` owes the stack after its rollback; undefined when none is owed; throws when it could not run. */
export async function plannedLedgerRefresh(ctx: CommandContext): Promise<LedgerRefresh | undefined> {
  const target = ctx.target;
  if (!target) throw new Error("down's ledger refresh needs the target database (a verb with database in verbs.ts)");
  const env = target.choice.env;
  // down itself refuses these, with its own message.
  if (PROTECTED_ENVIRONMENTS.includes(env)) return undefined;
  const projectDir = isProjectDir(ctx.cwd) ? ctx.cwd : undefined;
  const own = committedStack(env, projectDir);
  if (own.database !== target.connection.database) return undefined;
  const successors = successorsOf(env, projectDir);
  if (successors.length === 0) return undefined;
  const readBy = `${successors.map((s) => `"${s}"`).join(" and ")}'s stack-order gate reads the ledger stack "${env}" records`;
  if (ctx.values["skip-stack-refresh"]) {
    ctx.out.err(
      `warning: stack "${env}"'s recorded ledger left as it is by ${currentOperator(ctx.vars)} (--skip-stack-refresh): ${target.connection.database} is taken to be no stack's database`,
    );
    return undefined;
  }
  const command = (urn: string) => `pulumi refresh --stack ${env} --run-program --target '${urn}' --yes --skip-preview`;
  const refuse = (why: string) =>
    new Error(
      `Refusing to roll back ${target.connection.database} (${env}): ${readBy}, and down must refresh it afterwards, but ${why}. ` +
        `Nothing was rolled back. If ${target.connection.database} here is no stack's database, pass --skip-stack-refresh.`,
    );
  if (!projectDir)
    throw refuse(
      `${ctx.cwd} has no Pulumi.yaml: run precog-db down from the Pulumi project's folder, or after the rollback run ${command("<the migration resource's URN>")} there`,
    );
  const stack = new LocalStack(env, projectDir, ctx.vars);
  let urn: string;
  try {
    urn = await stack.migrationResourceUrn();
  } catch (err) {
    throw refuse((err as Error).message.replace(/\.$/, ""));
  }
  return {
    stack: env,
    urn,
    successors,
    run: async () => {
      ctx.out.err(`precog-db down: refreshing stack "${env}"'s recorded ledger (${readBy})`);
      const r = await stack
        .run(["refresh", "--run-program", "--target", urn, "--yes", "--skip-preview"])
        .catch((err: Error) => ({ code: -1, output: err.message }));
      if (r.code !== 0) {
        ctx.out.err(r.output.slice(-4000));
        throw new Error(
          `The rollback on ${target.connection.database} is done, but refreshing stack "${env}" failed (pulumi exit ${r.code}): ` +
            `its recorded ledger still lists what was rolled back, and ${readBy}. Run ${command(urn)} in ${projectDir} before deploying ${successors.join(" or ")}.`,
        );
      }
      ctx.out.err(`  stack "${env}": recorded ledger refreshed from ${target.connection.database}`);
    },
  };
}

/** The stacks whose committed stack file names `env` as predecessor (a stack name or org/project/stack). */
function successorsOf(env: Environment, projectDir: string | undefined): string[] {
  return ENVIRONMENTS.filter((e) => {
    // A project folder without some stack's file has no such stack.
    if (projectDir && !existsSync(join(projectDir, `Pulumi.${e}.yaml`))) return false;
    const p = committedStack(e, projectDir).migrations.predecessor;
    return p === env || p?.endsWith(`/${env}`) === true;
  });
}
