/**
 * The command line's verbs, one row each: how the help shows it, whether it reaches a database
 * (and what the prod refusal calls that work), which options it takes, and what runs. main.ts
 * and the help text are driven by this table alone.
 */
import { bootstrapSqlCommand } from "./bootstrap";
import {
  downCommand,
  lintCommand,
  migrateCommand,
  newCommand,
  planCommand,
  statusCommand,
  validateCommand,
} from "./commands";
import type { Command } from "./context";
import { OPTIONS, type OptionName, optionsHelp } from "./options";

export interface Verb {
  /** As the help shows it: "lint [files]". */
  readonly synopsis: string;
  readonly summary: string;
  /** For verbs that connect to the target database: the work, as a refusal names it ("apply migrations"). */
  readonly database?: string;
  /** Options it takes besides those every verb takes (COMMON). */
  readonly options: readonly OptionName[];
  readonly run: Command;
}

/** Taken by every verb. */
export const COMMON: readonly OptionName[] = ["dir", "help"];

export const VERBS: Readonly<Record<string, Verb>> = {
  new: {
    synopsis: "new <name>",
    summary: "write migrations/<next version>_<name>.sql from the template",
    options: ["timestamp"],
    run: newCommand,
  },
  migrate: {
    synopsis: "migrate",
    summary: "apply pending migrations (backs up first on staging and prod)",
    database: "apply migrations",
    options: [
      "database-url",
      "to",
      "lock-wait",
      "lock-timeout",
      "statement-timeout",
      "allow-out-of-order",
      "backup-dir",
      "lint",
      "skip-stack-order",
      "json",
    ],
    run: migrateCommand,
  },
  status: {
    synopsis: "status",
    summary: "applied and pending migrations; verifies every applied file's checksum",
    database: "read migration status",
    options: ["database-url", "allow-out-of-order", "json"],
    run: statusCommand,
  },
  plan: {
    synopsis: "plan",
    summary: "what migrate would apply, with lint findings; changes nothing",
    database: "plan migrations",
    options: ["database-url", "to", "lock-timeout", "allow-out-of-order", "json"],
    run: planCommand,
  },
  down: {
    synopsis: "down",
    summary: "roll back the newest migration, or with --to <version> back to it (dev, test only)",
    database: "roll back migrations",
    options: ["database-url", "to", "lock-wait", "lock-timeout", "statement-timeout", "skip-stack-refresh", "json"],
    run: downCommand,
  },
  validate: {
    synopsis: "validate",
    summary: "compare the live database with what the migrations build",
    database: "validate the schema",
    options: ["database-url", "scratch-url", "json"],
    run: validateCommand,
  },
  lint: {
    synopsis: "lint [files]",
    summary: "lint migrations (errors on staging and prod, warnings on dev and test)",
    options: ["lock-timeout", "json"],
    run: lintCommand,
  },
  "bootstrap-sql": {
    synopsis: "bootstrap-sql",
    summary: "the SQL that creates an aws instance's deployer login (run once, as the master user)",
    options: [],
    run: bootstrapSqlCommand,
  },
  rotate: {
    synopsis: "rotate",
    summary: "a new password for a local stack's role, in PostgreSQL, the stack and .env.<env>",
    options: ["env", "role"],
    // Loaded when run: every other command (the no-op migrate among them) would pay for its modules.
    run: async (ctx) => (await import("./rotate/command")).rotateCommand(ctx),
  },
};

/** The verb named `name`, if there is one (never a property every object has, such as "toString"). */
export function verbNamed(name: string): Verb | undefined {
  return Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
}

/** The options given that `verb` does not take. */
export function unexpectedOptions(verb: Verb, given: readonly OptionName[]): OptionName[] {
  return given.filter((o) => !COMMON.includes(o) && !verb.options.includes(o));
}

export const USAGE = [
  "usage: precog-db <command> [options]",
  "",
  "commands:",
  ...Object.values(VERBS).map((v) => `  ${v.synopsis.padEnd(15)} ${v.summary}`),
  "",
  "options (each command's in brackets):",
  ...optionsHelp(Object.keys(OPTIONS) as OptionName[], (name) =>
    COMMON.includes(name)
      ? ""
      : Object.entries(VERBS)
          .flatMap(([verb, v]) => (v.options.includes(name) ? [verb] : []))
          .join(", "),
  ),
  "",
  "The environment is PRECOG_ENV, else inferred from DB_NAME, else dev. Prod needs PRECOG_PROD_CONFIRMED=yes.",
].join("\n");
