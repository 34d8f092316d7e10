/**
 * The migration resource and its provider, `precog-migrations`: the project's own provider plugin
 * (infra/migrations/plugin, declared in Pulumi.yaml), which serves ./plugin-provider.ts.
 *
 * The provider is declared as an explicit provider resource, registered before the resource's
 * inputs are known, so the engine starts the plugin's process while the rest of the program is
 * still being evaluated instead of after it.
 */
import * as pulumi from "@pulumi/pulumi";

/** The plugin's package, and the type of its one resource. */
export const MIGRATIONS_PACKAGE = "precog-migrations";
export const MIGRATIONS_TYPE = `${MIGRATIONS_PACKAGE}:index:Migrations`;

/** The explicit provider the migration resources run under. */
export class MigrationsProvider extends pulumi.ProviderResource {
  constructor(name: string, opts: pulumi.ResourceOptions) {
    super(MIGRATIONS_PACKAGE, name, {}, opts);
  }
}

export class MigrationsResource extends pulumi.CustomResource {
  /** The applied ledger as JSON text (./state.ts `MigrationsState`). */
  declare readonly ledgerJson: pulumi.Output<string>;
  declare readonly schemaVersion: pulumi.Output<string | null>;
  declare readonly lastBackup: pulumi.Output<string | null>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(MIGRATIONS_TYPE, name, props, opts);
  }
}
