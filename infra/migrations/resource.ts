/**
 * The migration resource and its provider, `precog-migrations`: the project's own provider plugin
 * (infra/migrations/plugin, declared in Pulumi.yaml), which serves ./plugin/server.ts.
 *
 * The provider is an explicit provider resource. On aws stacks it has no config, and the program
 * registers it first, right after its guards and before it loads the rest of itself
 * (../program.ts): the engine registers nothing else while it starts a provider's plugin, so the
 * plugin starts while the engine would otherwise be waiting for the program, instead of holding up
 * the resources that come after it. On local stacks its config holds the migrator's password
 * (../contract.ts `MigrationsProviderConfig`, a secret whose changes its plugin's DiffConfig
 * ignores), so it is registered once the stack's generated password exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { MIGRATIONS_PACKAGE, MIGRATIONS_TYPE } from "../../src/env/migration-resource";
import type { LedgerSummary } from "../../src/migrate";

export { MIGRATIONS_PACKAGE, MIGRATIONS_TYPE };

/** The provider's config as the program gives it: the migrator's password on local stacks. */
export interface MigrationsProviderArgs {
  readonly migratorPassword?: pulumi.Input<string>;
}

/** The explicit provider the migration resources run under. */
export class MigrationsProvider extends pulumi.ProviderResource {
  constructor(name: string, args: MigrationsProviderArgs, opts: pulumi.ResourceOptions) {
    const { migratorPassword } = args;
    super(
      MIGRATIONS_PACKAGE,
      name,
      migratorPassword === undefined ? {} : { migratorPassword: pulumi.secret(migratorPassword) },
      opts,
    );
  }
}

/** The stack's migration provider, given its config: the one registered first on aws stacks, a new one on local stacks. */
export type MigrationsProviderFor = (args: MigrationsProviderArgs) => MigrationsProvider;

/** The name of the migration component of the environment component `environmentName`. */
export function migrationsComponentName(environmentName: string): string {
  return `${environmentName}-migrations`;
}

/**
 * The migration provider of the environment component `environmentName`. It is not the migration
 * component's child, since it is registered before the component exists. Stacks deployed when it
 * was have it under their migration component: `aliases` names that place, so that it stays the
 * same resource there.
 */
export function migrationsProvider(
  environmentName: string,
  args: MigrationsProviderArgs,
  opts: pulumi.ResourceOptions,
): MigrationsProvider {
  // Where those stacks have it, named as it was then: this must not follow a later rename.
  const formerParent = pulumi.createUrn(
    `${environmentName}-migrations`,
    "precog:migrations:PrecogMigrations",
    pulumi.createUrn(environmentName, "precog:environment:PrecogEnvironment"),
  );
  const name = `${migrationsComponentName(environmentName)}-provider`;
  return new MigrationsProvider(name, args, { ...opts, aliases: [{ parent: formerParent }] });
}

export class MigrationsResource extends pulumi.CustomResource {
  /** The applied ledger's summary (./contract.ts `MigrationsState`). */
  declare readonly applied: pulumi.Output<LedgerSummary>;
  declare readonly schemaVersion: pulumi.Output<string | null>;
  declare readonly lastBackup: pulumi.Output<string | null>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(MIGRATIONS_TYPE, name, props, opts);
  }
}
