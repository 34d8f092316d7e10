/**
 * The migration resource: a resource of Pulumi's nodejs dynamic provider whose implementation is
 * ./provider-entry's `handler`, carried as its own source text rather than through Pulumi's closure
 * serializer (which costs a third of a second and more per preview, for a function that captures
 * nothing). The dynamic-provider host evaluates that text.
 *
 * The provider itself is declared as an explicit provider resource, registered before the
 * resource's inputs are known, so the engine starts the provider process while the rest of the
 * program is still being evaluated instead of after it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LedgerEntry } from "../../src/migrate";
import { providerSource } from "./provider-entry";

/** The package of Pulumi's nodejs dynamic provider, and the type its resources have. */
const DYNAMIC_PACKAGE = "pulumi-nodejs";
const DYNAMIC_TYPE = `${DYNAMIC_PACKAGE}:dynamic:Resource`;

/** The explicit provider the migration resources run under. */
export class MigrationsProvider extends pulumi.ProviderResource {
  constructor(name: string, opts: pulumi.ResourceOptions) {
    super(DYNAMIC_PACKAGE, name, {}, opts);
  }
}

export class MigrationsResource extends pulumi.CustomResource {
  declare readonly ledger: pulumi.Output<LedgerEntry[]>;
  declare readonly schemaVersion: pulumi.Output<string | null>;
  declare readonly lastBackup: pulumi.Output<string | null>;

  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(DYNAMIC_TYPE, name, { ...props, __provider: providerSource() }, opts);
  }
}
