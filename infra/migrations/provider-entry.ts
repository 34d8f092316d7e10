/**
 * The migration resource's dynamic provider as the provider process loads it. Pulumi's nodejs
 * dynamic-provider host evaluates the resource's `__provider` input as a module and calls its
 * `handler()`; that text is `handler`'s own source (providerSource), so `handler` must be
 * self-contained: it captures nothing and loads ./provider-impl by module path in each method. The
 * connection, a secret, arrives in the resource's inputs.
 *
 * The host runs in the program's folder (dist/pulumi/infra), so the module is found relative to it
 * on whichever machine runs the next `pulumi up` or `refresh`.
 */
import type * as pulumi from "@pulumi/pulumi";

export function handler(): pulumi.dynamic.ResourceProvider {
  const impl = (): typeof import("./provider-impl") =>
    require(require("node:path").resolve("migrations/provider-impl.js"));
  return {
    check: async (_olds, news) => ({ inputs: news }),
    diff: async (_id, olds, news) => impl().diff(olds, news),
    create: async (inputs) => impl().create(inputs),
    update: async (_id, olds, news) => impl().update(olds, news),
    read: async (id, props) => impl().read(id, props),
    // The schema and its data stay: the database resource owns their fate.
    delete: async () => {},
  };
}

/** The module text the resource carries in `__provider`. */
export function providerSource(): string {
  return `exports.handler = ${handler.toString()};\n`;
}
