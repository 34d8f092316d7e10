/**
 * What every verb is handed (CommandContext) and what a verb is (Command): the command line's
 * vocabulary, which main.ts fills in, verbs.ts lists and commands.ts, stack-gate.ts and rotate/
 * use.
 */
import type { Environment } from "../env/environment";
import type { Values } from "./options";
import type { Output } from "./output";
import type { Target, Vars } from "./target";

export interface CommandContext {
  readonly args: readonly string[];
  readonly values: Values;
  readonly vars: Vars;
  /** Present for the verbs that need a database (verbs.ts). */
  readonly target?: Target;
  /** The selected environment (also known without a target, for lint). */
  readonly environment: Environment;
  readonly out: Output;
  /** The migrations folder, absolute. */
  readonly dir: string;
  readonly cwd: string;
}

export type Command = (ctx: CommandContext) => Promise<number>;
