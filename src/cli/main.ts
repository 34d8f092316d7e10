/**
 * `precog-db`: the command around the migration engine. Parses arguments, works out the target,
 * refuses prod without confirmation, runs one command, and exits non-zero on any failure. Every
 * printed line is scrubbed of passwords.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { assertProdConfirmed, currentOperator, describeSource, selectEnvironment } from "../env/environment";
import { createOutput, urlSecrets, type Output } from "./output";
import { loadVars, resolveTarget, type Target } from "./target";
import { COMMANDS, type CommandContext } from "./commands";

export const USAGE = `usage: precog-db <command> [options]

commands:
  new <name>      write migrations/<next version>_<name>.sql from the template
  migrate         apply pending migrations (backs up first on staging and prod)
  status          applied and pending migrations; verifies every applied file's checksum
  plan            what migrate would apply, with lint findings; changes nothing
  down            roll back the newest migration, or with --to <version> back to it (dev, test only)
  validate        compare the live database with what the migrations build
  lint [files]    lint migrations (errors on staging and prod, warnings on dev and test)

options:
  --dir <folder>           migrations folder (default: ./migrations)
  --database-url <url>     target database (default: DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD
                           from the environment or .env; dev and test default to the local cluster)
  --to <version>           migrate, plan: stop at this version; down: roll back to this version
  --lock-wait <ms>         wait this long for another runner's lock (default 60000)
  --lock-timeout <d>       lock_timeout per migration (default 5s)
  --statement-timeout <d>  statement_timeout per migration (default 15min)
  --allow-out-of-order     apply pending files older than the newest applied one
  --backup-dir <folder>    where staging and prod backups go (default: PRECOG_BACKUP_DIR; required there)
  --scratch-url <url>      validate: server and role for the scratch database (default: the target's)
  --lint                   migrate: lint pending migrations on dev and test too
  --timestamp              new: use a UTC timestamp version instead of the next counter
  --json                   print the result as JSON on stdout
  -h, --help               this text

The environment is PRECOG_ENV, else inferred from DB_NAME, else dev. Prod needs PRECOG_PROD_CONFIRMED=yes.`;

const DB_ACTIONS: Record<string, string> = {
  migrate: "apply migrations",
  status: "read migration status",
  plan: "plan migrations",
  down: "roll back migrations",
  validate: "validate the schema",
};

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const out = createOutput();
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        "database-url": { type: "string" },
        to: { type: "string" },
        "lock-wait": { type: "string" },
        "lock-timeout": { type: "string" },
        "statement-timeout": { type: "string" },
        "allow-out-of-order": { type: "boolean" },
        "backup-dir": { type: "string" },
        "scratch-url": { type: "string" },
        lint: { type: "boolean" },
        timestamp: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    out.err(`precog-db: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? out.out : out.err)(USAGE);
    return values.help ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    out.err(`precog-db: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  for (const u of [values["database-url"], values["scratch-url"]]) if (u) out.addSecrets(urlSecrets(u));
  try {
    const vars = loadVars(cwd);
    const needsDb = command in DB_ACTIONS;
    let target: Target | undefined;
    if (needsDb) {
      target = resolveTarget(vars, values["database-url"], cwd);
      out.addSecrets(target.secrets);
    }
    const environment = target?.choice.env ?? selectEnvironment(vars).env;
    if (needsDb && target) {
      assertProdConfirmed(target.choice.env, DB_ACTIONS[command], vars);
      if (target.choice.env === "prod") out.err(`warning: prod access by ${currentOperator(vars)}`);
      if (!values.json) out.err(`precog-db ${command}: ${target.choice.env} (from ${describeSource(target.choice.source)})`);
    }
    const ctx: CommandContext = { args: rest, values, vars, target, environment, out, dir: resolve(cwd, values.dir ?? "migrations"), cwd };
    return await run(ctx);
  } catch (err) {
    report(out, err);
    return 1;
  }
}

function report(out: Output, err: unknown): void {
  const e = err as Error;
  out.err(`precog-db: ${e.message ?? String(err)}`);
  if (process.env.PRECOG_DEBUG === "1" && e.stack) out.err(e.stack);
}
