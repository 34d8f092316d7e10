/**
 * Precog's environments (the one table of what each is, apart from its config), environment
 * selection and the prod confirmation guard: the one place that decides which Precog environment a
 * process is talking to. The Pulumi program, the `precog-db` command and the
 * application module all ask here, so the rules cannot drift apart.
 *
 * Rules: PRECOG_ENV if set (dev, test, staging or prod; anything else is an error naming the
 * value), else inferred from DB_NAME (a name containing exactly one environment's name other than
 * the default's), else dev. Prod needs PRECOG_PROD_CONFIRMED=yes.
 */

/** What an environment is, apart from its config (its values live in `Pulumi.<env>.yaml` alone). */
export interface EnvironmentTraits {
  /**
   * Its data is real, or a rehearsal of real: destructive operations are refused, the lint's
   * findings are errors, a backup is taken before migrating, and every policy rule is mandatory.
   */
  readonly strict: boolean;
  /** `--skip-stack-order` may apply migrations its predecessor has not applied yet. */
  readonly maySkipStackOrder: boolean;
  /** `precog-db rotate` runs from a workstation; otherwise Secrets Manager rotates it. */
  readonly rotatesFromWorkstation: boolean;
}

/**
 * Precog's environments, in stack order (each one's migrations follow the one before it), one row
 * each. A new environment is its stack file and a row here.
 */
export const ENVIRONMENT_TRAITS = {
  dev: { strict: false, maySkipStackOrder: true, rotatesFromWorkstation: true },
  test: { strict: false, maySkipStackOrder: true, rotatesFromWorkstation: true },
  staging: { strict: true, maySkipStackOrder: false, rotatesFromWorkstation: false },
  prod: { strict: true, maySkipStackOrder: false, rotatesFromWorkstation: false },
} as const satisfies Readonly<Record<string, EnvironmentTraits>>;

export type Environment = keyof typeof ENVIRONMENT_TRAITS;

/** Every environment, in stack order. */
export const ENVIRONMENTS = Object.freeze(Object.keys(ENVIRONMENT_TRAITS) as Environment[]);

/** The environment a process works on when neither PRECOG_ENV nor DB_NAME says otherwise. */
export const DEFAULT_ENVIRONMENT: Environment = "dev";

/** The environments where `trait` holds, in stack order. */
export function environmentsWhere(trait: keyof EnvironmentTraits): Environment[] {
  return ENVIRONMENTS.filter((e) => ENVIRONMENT_TRAITS[e][trait]);
}

/** Where an environment name came from, for messages. */
export type EnvironmentSource = "PRECOG_ENV" | "DB_NAME" | "default";

export interface EnvironmentChoice {
  readonly env: Environment;
  readonly source: EnvironmentSource;
}

/** Environments whose data is real (or a rehearsal of real): destructive operations are refused. */
export const PROTECTED_ENVIRONMENTS: readonly Environment[] = Object.freeze(environmentsWhere("strict"));

type Vars = Readonly<Record<string, string | undefined>>;

export function isEnvironment(value: string): value is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}

/** Works out the environment from PRECOG_ENV, then DB_NAME, then the dev default. */
export function selectEnvironment(vars: Vars = process.env): EnvironmentChoice {
  const explicit = vars.PRECOG_ENV;
  if (explicit !== undefined && explicit !== "") {
    if (!isEnvironment(explicit)) {
      throw new Error(
        `PRECOG_ENV="${explicit}" is not an environment: use one of ${ENVIRONMENTS.join(", ")}, ` +
          `or unset PRECOG_ENV to infer it from DB_NAME.`,
      );
    }
    return { env: explicit, source: "PRECOG_ENV" };
  }
  const named = environmentNamedBy(vars.DB_NAME);
  return named === undefined ? { env: DEFAULT_ENVIRONMENT, source: "default" } : { env: named, source: "DB_NAME" };
}

/**
 * The environment a database name points at: test, staging or prod when the name contains exactly
 * one of them, undefined when it contains none (or is empty). Throws when it contains several.
 */
export function environmentNamedBy(databaseName: string | undefined, label = "DB_NAME"): Environment | undefined {
  if (databaseName === undefined || databaseName === "") return undefined;
  const hits = ENVIRONMENTS.filter((e) => e !== DEFAULT_ENVIRONMENT && databaseName.toLowerCase().includes(e));
  if (hits.length > 1) {
    throw new Error(
      `${label}="${databaseName}" names more than one environment (${hits.join(", ")}): ` +
        `set PRECOG_ENV to say which one is meant.`,
    );
  }
  return hits[0];
}

/**
 * Refuses a target database whose name points at another environment than the selected one, so a
 * stale PRECOG_ENV=dev cannot walk past the staging and prod guards into precog_prod. A name that
 * points nowhere (precog_dev, mydb) passes. `label` says where the name came from, for the message.
 */
export function assertDatabaseMatches(env: Environment, databaseName: string | undefined, label = "DB_NAME"): void {
  const named = environmentNamedBy(databaseName, label);
  if (named !== undefined && named !== env) {
    throw new Error(
      `The environment is ${env}, but the target database "${databaseName}" (${label}) is a ${named} database. ` +
        `Set PRECOG_ENV=${named} to work on it deliberately (with its guards), or point at the ${env} database.`,
    );
  }
}

/** The environment name alone; see {@link selectEnvironment}. */
export function getEnvironment(vars: Vars = process.env): Environment {
  return selectEnvironment(vars).env;
}

/** Throws unless the current environment is `required`, naming both. */
export function requireEnvironment(required: Environment, vars: Vars = process.env): Environment {
  const { env, source } = selectEnvironment(vars);
  if (env !== required) {
    throw new Error(
      `This needs the ${required} environment, but the current one is ${env} (from ${describeSource(source)}). ` +
        `Set PRECOG_ENV=${required} to select it.`,
    );
  }
  return env;
}

export function describeSource(source: EnvironmentSource): string {
  return source === "default" ? "the default, as neither PRECOG_ENV nor DB_NAME says otherwise" : source;
}

/** True when PRECOG_PROD_CONFIRMED is exactly "yes". */
export function isProdConfirmed(vars: Vars = process.env): boolean {
  return vars.PRECOG_PROD_CONFIRMED === "yes";
}

/**
 * Refuses prod without PRECOG_PROD_CONFIRMED=yes. `action` says what was about to happen, for the
 * message. Returns nothing for the other environments.
 */
export function assertProdConfirmed(env: Environment, action: string, vars: Vars = process.env): void {
  if (env === "prod" && !isProdConfirmed(vars)) {
    throw new Error(
      `Refusing to ${action} on prod: PRECOG_PROD_CONFIRMED is not "yes". ` +
        `Prod holds real money; set PRECOG_PROD_CONFIRMED=yes for this command only if you mean it.`,
    );
  }
}

/** The user a prod access warning names: the OS user, overridable for CI with PRECOG_OPERATOR. */
export function currentOperator(vars: Vars = process.env): string {
  return vars.PRECOG_OPERATOR || vars.USER || vars.LOGNAME || safeUsername();
}

function safeUsername(): string {
  try {
    return require("node:os").userInfo().username as string;
  } catch {
    return "unknown";
  }
}
