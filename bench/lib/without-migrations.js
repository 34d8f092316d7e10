// The project's compiled program without the migration component, for benches only
// (bench/lib/deployed-dev.ts copies it into a throwaway copy's dist/pulumi/infra/ and points that
// copy's Pulumi.yaml at it). The component's module is replaced, before the program loads it, by a
// class that registers nothing and has no ledger summary (its `applied` is null), and the
// provider's module by one whose migrationsProvider() registers nothing: no StackReference, no file scan, no lint, no provider
// plugin, and none of the engine's modules that only the component loads.
// It loads nothing before ./index, which defers the modules a run rarely uses before anything loads
// the Pulumi SDK (infra/startup/prepare-program.ts): the SDK is required only when the stand-in is
// constructed, by the program (tests/infra/without-migrations.test.ts).
const Module = require("node:module");

function standIn(id, exports) {
  const path = require.resolve(id);
  const stub = new Module(path, module);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = exports;
  require.cache[path] = stub;
}

standIn("./migrations/component", {
  PrecogMigrations: class {
    constructor() {
      const pulumi = require("@pulumi/pulumi");
      this.applied = pulumi.output(null);
      this.schemaVersion = pulumi.output(null);
    }
  },
});
standIn("./migrations/resource", {
  migrationsProvider: () => undefined,
  migrationsComponentName: (environmentName) => `${environmentName}-migrations`,
});

module.exports = require("./index");
