/**
 * The command line's options: one table gives each its type, how the help text shows it, and what
 * it does; the parser and the help are made from it. Which verb takes which option is the verb
 * table's business (verbs.ts).
 */
import { parseArgs } from "node:util";
import { durationProblem, lockWaitProblem } from "../migrate/duration";

interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** As the help text shows it: "--dir <folder>". */
  readonly usage: string;
  /** One string per help line. */
  readonly help: readonly string[];
}

export const OPTIONS = {
  dir: { type: "string", usage: "--dir <folder>", help: ["migrations folder (default: ./migrations)"] },
  "database-url": {
    type: "string",
    usage: "--database-url <url>",
    help: [
      "target database (default: DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD",
      "from the environment or .env; dev and test default to the local cluster)",
    ],
  },
  to: {
    type: "string",
    usage: "--to <version>",
    help: ["migrate, plan: stop at this version; down: roll back to this version"],
  },
  "lock-wait": {
    type: "string",
    usage: "--lock-wait <ms>",
    help: ["wait this long for another runner's lock (default 60000)"],
  },
  "lock-timeout": { type: "string", usage: "--lock-timeout <d>", help: ["lock_timeout per migration (default 5s)"] },
  "statement-timeout": {
    type: "string",
    usage: "--statement-timeout <d>",
    help: ["statement_timeout per migration (default 15min)"],
  },
  "allow-out-of-order": {
    type: "boolean",
    usage: "--allow-out-of-order",
    help: ["apply pending files older than the newest applied one"],
  },
  "backup-dir": {
    type: "string",
    usage: "--backup-dir <folder>",
    help: ["where staging and prod backups go (default: PRECOG_BACKUP_DIR; required there)"],
  },
  "scratch-url": {
    type: "string",
    usage: "--scratch-url <url>",
    help: ["server and role for validate's scratch database (default: the target's)"],
  },
  lint: { type: "boolean", usage: "--lint", help: ["lint pending migrations on dev and test too"] },
  "skip-stack-order": {
    type: "boolean",
    usage: "--skip-stack-order",
    help: ["dev and test only, logged: apply what the stack before has not (default: refused)"],
  },
  "skip-stack-refresh": {
    type: "boolean",
    usage: "--skip-stack-refresh",
    help: ["down: the database is no stack's; leave the stack's recorded ledger (logged)"],
  },
  timestamp: {
    type: "boolean",
    usage: "--timestamp",
    help: ["use a UTC timestamp version instead of the next counter"],
  },
  env: { type: "string", usage: "--env <dev|test>", help: ["the local stack whose credential rotate changes"] },
  role: {
    type: "string",
    usage: "--role <role>",
    help: ["app (default), readonly or migrator: the login role rotate changes"],
  },
  json: { type: "boolean", usage: "--json", help: ["print the result as JSON on stdout"] },
  help: { type: "boolean", short: "h", usage: "-h, --help", help: ["this text"] },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The parsed options: a string or a boolean, as the table says; absent when not given. */
export type Values = { readonly [K in OptionName]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

/** A command line the command cannot run as given: exit 2, like an unknown option. */
export class UsageError extends Error {}

/** For each checked option, what is wrong with a value (undefined when nothing is). */
const VALUE_CHECKS: Partial<Record<OptionName, (v: string) => string | undefined>> = {
  to: (v) =>
    /^\d+$/.test(v) ? undefined : `--to "${v}" is not a version: use the digits of a file's version, e.g. --to 0007.`,
  "lock-wait": (v) => {
    if (!/^\d+$/.test(v)) return `--lock-wait "${v}" is not a number of milliseconds.`;
    const problem = lockWaitProblem(Number(v));
    return problem && `--lock-wait "${v}" ${problem}.`;
  },
  "lock-timeout": (v) => timeoutProblem("lock-timeout", v),
  "statement-timeout": (v) => timeoutProblem("statement-timeout", v),
};

function timeoutProblem(option: string, v: string): string | undefined {
  const problem = durationProblem(v);
  return problem && `--${option} "${v}" ${problem}.`;
}

/**
 * Splits `argv` into options and positionals; throws parseArgs's message on an unknown or malformed
 * option, and a UsageError for a value the option cannot take.
 */
export function parseCommandLine(argv: readonly string[]): { values: Values; positionals: string[] } {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  for (const [name, check] of Object.entries(VALUE_CHECKS)) {
    const v = (values as Record<string, unknown>)[name];
    const problem = typeof v === "string" && check ? check(v) : undefined;
    if (problem) throw new UsageError(problem);
  }
  return { values, positionals };
}

/** The help lines for `names`, aligned. */
export function optionsHelp(names: readonly OptionName[], takenBy: (name: OptionName) => string): string[] {
  const lines: string[] = [];
  for (const name of names) {
    const o: OptionSpec = OPTIONS[name];
    const [first, ...more] = o.help;
    const by = takenBy(name);
    lines.push(`  ${o.usage.padEnd(24)} ${first}${more.length === 0 && by ? ` [${by}]` : ""}`);
    for (const [i, line] of more.entries())
      lines.push(`  ${"".padEnd(24)} ${line}${i === more.length - 1 && by ? ` [${by}]` : ""}`);
  }
  return lines;
}
