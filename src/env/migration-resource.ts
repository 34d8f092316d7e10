/**
 * The migration resource's names as a stack's state records them: the project's own provider
 * package (its plugin, infra/migrations/plugin, declared in Pulumi.yaml) and the type of its one
 * resource. The one home of both, for the program that registers the resource (infra/migrations),
 * the command that finds it in a stack's state (src/cli/local-stack.ts) and the policy pack.
 */

/** The plugin's package. */
export const MIGRATIONS_PACKAGE = "precog-migrations";

/** The type of the migration resource. */
export const MIGRATIONS_TYPE = `${MIGRATIONS_PACKAGE}:index:Migrations`;
