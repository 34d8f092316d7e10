/**
 * The migration resource's dynamic provider, as Pulumi serializes it into the state: a few lines
 * that load ./provider-impl by module path inside each method, so the serialized code stays small
 * and captures no secret (the connection comes in the resource's inputs, as a secret).
 *
 * The provider process runs in the program's folder (dist/pulumi/infra), so the module is found
 * relative to it on whichever machine runs the next `pulumi up` or `refresh`.
 */
import type * as pulumi from "@pulumi/pulumi";

function impl(): typeof import("./provider-impl") {
  // Loaded in the provider's process, by path.
  return require(require("node:path").resolve("migrations/provider-impl.js"));
}

export const migrationsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    return impl().diff(olds, news);
  },
  async create(inputs) {
    return impl().create(inputs);
  },
  async update(_id, olds, news) {
    return impl().update(olds, news);
  },
  async read(id, props) {
    return impl().read(id, props);
  },
  async delete() {
    // The schema and its data stay: the database resource owns their fate.
  },
};
