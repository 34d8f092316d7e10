// inline-program.js: the inline program the bench runners serve (bench/lib/inline-migrations.js
// through the Automation API, bench/lib/inline-cli-up.js to the CLI directly).
// "with": the migration provider and the PrecogMigrations component (compiled, dist/pulumi), its
// predecessor read through a StackReference when BENCH_PREDECESSOR names one; "without": the same
// program registering neither, exporting the same keys; each mode of FLOORS: in their place, a
// do-nothing provider (./floor-plugin) and one resource of it, for what any Node provider plugin
// costs. The rest comes from the environment:
// BENCH_MIGRATIONS (the folder), BENCH_CONNECTION (the migrator's connection as JSON, its password
// for the provider's config), BENCH_ENVIRONMENT.
const { join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "../..");
/**
 * The do-nothing providers, by the mode that registers one: the package, its plugin's entry (built
 * by ./floor-plugins.ts) and what serves it.
 */
const FLOORS = {
  floor: { pkg: "precog-floor", entry: "bench/lib/floor-plugin/main.js", servedBy: "the SDK's provider server" },
  "floor-grpc": { pkg: "precog-floor-grpc", entry: "bench/lib/floor-plugin/grpc-only.js", servedBy: "grpc-js alone" },
};

async function inlineProgram(mode) {
  const pulumi = require("@pulumi/pulumi");
  if (mode === "without") return { migrations: null, schemaVersion: null };
  const floor = FLOORS[mode]?.pkg;
  if (floor) {
    const provider = new pulumi.ProviderResource(floor, "floor", {});
    new pulumi.CustomResource(`${floor}:index:Nothing`, "nothing", {}, { provider });
    return { migrations: null, schemaVersion: null };
  }
  const infra = join(ROOT, "dist/pulumi/infra/migrations");
  const { migrationsComponentName, migrationsProvider } = require(join(infra, "resource.js"));
  const name = `precog-${process.env.BENCH_ENVIRONMENT}`;
  // The connection's password goes to the provider's config, the rest is the resource's login (as
  // on a local stack: infra/migrations/contract.ts MigrationsLogin "provider-config").
  const { password, ...target } = JSON.parse(process.env.BENCH_CONNECTION);
  // The provider first, and the rest of the program loaded after a turn of the event loop, as
  // infra/program.ts does on aws stacks (registerMigrationsProviderFirst): the registration goes
  // out, and the engine starts the plugin while the program loads.
  const provider = migrationsProvider(name, { migratorPassword: pulumi.secret(password) }, {});
  await new Promise((resolve) => setImmediate(resolve));
  const { PrecogMigrations } = require(join(infra, "component.js"));
  const migrations = new PrecogMigrations(migrationsComponentName(name), {
    environment: process.env.BENCH_ENVIRONMENT,
    login: { kind: "provider-config", ...target },
    dir: process.env.BENCH_MIGRATIONS,
    predecessor: process.env.BENCH_PREDECESSOR || undefined,
    backup: { kind: "none" },
    operator: "bench",
    after: [],
    protect: false,
    provider,
  });
  return { migrations: migrations.applied, schemaVersion: migrations.schemaVersion };
}

module.exports = { FLOORS, inlineProgram };
