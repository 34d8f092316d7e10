/**
 * The checks that run before any resource is registered: the stack's environment is its config's
 * (`precog:environment`, explicit: never guessed from the stack's name, so a stack `prod-eu` set to
 * prod is prod), a stack name that names another environment is refused, PRECOG_ENV must agree,
 * and prod needs PRECOG_PROD_CONFIRMED=yes. Pure functions of their
 * inputs, so the program's entry can call them first and tests can call them directly.
 */
import {
  assertProdConfirmed,
  currentOperator,
  ENVIRONMENTS,
  type Environment,
  isEnvironment,
} from "../src/env/environment";

type Vars = Readonly<Record<string, string | undefined>>;

/**
 * The stack's environment: its `precog:environment`, which must be set. Throws when the stack's
 * name names another environment as a word (`test` configured prod; `prod-eu` may be prod but not
 * dev), or PRECOG_ENV (when set) names another. Returns the environment.
 */
export function checkEnvironment(stack: string, configured: string | undefined, vars: Vars): Environment {
  if (configured === undefined || !isEnvironment(configured)) {
    throw new Error(
      `Stack "${stack}": precog:environment is ${configured === undefined ? "not set" : `"${configured}"`}; ` +
        `set it to one of ${ENVIRONMENTS.join(", ")} in Pulumi.${stack}.yaml.`,
    );
  }
  const named = environmentsNamedBy(stack).filter((e) => e !== configured);
  if (named.length > 0) {
    throw new Error(
      `Stack "${stack}" is configured for environment "${configured}" (precog:environment in Pulumi.${stack}.yaml), ` +
        `but its name says ${named.join(" and ")}. Select the stack meant for ${configured}, or fix the config. Nothing was changed.`,
    );
  }
  const fromShell = vars.PRECOG_ENV;
  if (fromShell !== undefined && fromShell !== "" && fromShell !== configured) {
    throw new Error(
      `PRECOG_ENV is "${fromShell}" but stack "${stack}" provisions environment "${configured}". ` +
        `Unset PRECOG_ENV or set it to "${configured}" to deploy this stack. Nothing was changed.`,
    );
  }
  return configured;
}

/**
 * On prod, refuses without PRECOG_PROD_CONFIRMED=yes; when confirmed, returns the warning to log
 * (who and what). A preview (`dryRun`) may run with PRECOG_PROD_PREVIEW=yes instead, which an up
 * never accepts: CI previews prod in an ungated job for the reviewer, and only the approved job
 * holds the confirmation. Returns undefined for other environments.
 */
export function confirmProd(env: Environment, target: string, vars: Vars, dryRun = false): string | undefined {
  if (env === "prod" && dryRun && vars.PRECOG_PROD_CONFIRMED !== "yes" && vars.PRECOG_PROD_PREVIEW === "yes")
    return `PROD preview by ${currentOperator(vars)} (PRECOG_PROD_PREVIEW=yes, preview only: an up needs PRECOG_PROD_CONFIRMED=yes): target ${target}.`;
  assertProdConfirmed(env, `deploy stack "prod" (${target})`, vars);
  if (env !== "prod") return undefined;
  return `PROD deployment confirmed by ${currentOperator(vars)} (PRECOG_PROD_CONFIRMED=yes): target ${target}.`;
}

/** The environments a stack name names as words: `prod-eu` names prod, `production` none. */
export function environmentsNamedBy(stack: string): Environment[] {
  const words = stack.toLowerCase().split(/[^a-z0-9]+/);
  return ENVIRONMENTS.filter((e) => words.includes(e));
}
