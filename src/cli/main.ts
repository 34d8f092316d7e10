/**
 * `precog-db`: the command around the migration engine. Parses arguments, works out the target,
 * refuses prod without confirmation, runs one verb (verbs.ts says what each needs), and exits
 * non-zero on any failure. Every printed line is scrubbed of passwords.
 */
import { resolve } from "node:path";
import { assertProdConfirmed, currentOperator, describeSource, selectEnvironment } from "../env/environment";
import type { CommandContext } from "./context";
import { withIamLogin, withMigrationLogin } from "./migration-login";
import { negotiateTarget } from "./negotiate";
import { OPTIONS, type OptionName, parseCommandLine, UsageError } from "./options";
import { createOutput, type Output, urlSecrets } from "./output";
import { loadVars, resolveTarget, type Target } from "./target";
import { COMMON, USAGE, unexpectedOptions, verbNamed } from "./verbs";

export { USAGE };

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const out = createOutput();
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
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
  const verb = verbNamed(command);
  if (!verb) {
    out.err(`precog-db: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  // Keys are exactly the options given (parseArgs sets no defaults).
  const unexpected = unexpectedOptions(verb, Object.keys(values) as OptionName[]);
  if (unexpected.length > 0) {
    const takes = [...verb.options, ...COMMON].map((o) => OPTIONS[o].usage).join(", ");
    out.err(
      `precog-db: ${command} does not take ${unexpected.map((o) => `--${o}`).join(", ")}; it takes ${takes}.\n\n${USAGE}`,
    );
    return 2;
  }
  for (const u of [values["database-url"], values["scratch-url"]]) if (u) out.addSecrets(urlSecrets(u));
  try {
    const vars = loadVars(cwd);
    let target: Target | undefined;
    if (verb.database) {
      target = await withIamLogin(
        withMigrationLogin(
          resolveTarget(vars, values["database-url"], cwd),
          vars,
          verb.database,
          values["database-url"] !== undefined,
        ),
        vars,
      );
      out.addSecrets(target.secrets);
      assertProdConfirmed(target.choice.env, verb.database, vars);
      if (target.choice.env === "prod") out.err(`warning: prod access by ${currentOperator(vars)}`);
      if (!values.json)
        out.err(`precog-db ${command}: ${target.choice.env} (from ${describeSource(target.choice.source)})`);
      target = await negotiateTarget(target);
    }
    const environment = target?.choice.env ?? selectEnvironment(vars).env;
    const ctx: CommandContext = {
      args: rest,
      values,
      vars,
      target,
      environment,
      out,
      dir: resolve(cwd, values.dir ?? "migrations"),
      cwd,
    };
    return await verb.run(ctx);
  } catch (err) {
    report(out, err, values.json === true);
    return err instanceof UsageError ? 2 : 1;
  }
}

/** On stderr as ever; with --json also on stdout as `{"error": "<message>"}`, so a script reading stdout sees it. */
function report(out: Output, err: unknown, json: boolean): void {
  const e = err as Error;
  const message = e.message ?? String(err);
  if (json) out.out(JSON.stringify({ error: message }, null, 2));
  out.err(`precog-db: ${message}`);
  if (process.env.PRECOG_DEBUG === "1" && e.stack) out.err(e.stack);
}
