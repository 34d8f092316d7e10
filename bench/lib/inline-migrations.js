#!/usr/bin/env node
// inline-migrations.js: one whole `pulumi preview` or `pulumi up` of a stack whose program is served
// inline from this process through the Automation API and the real CLI (the only plugin it starts is
// the project's own migration provider), for bench/pulumi/migrations-ledger-size.ts to time.
//
//   node bench/lib/inline-migrations.js <project dir> <stack> <preview|up|apply|deploy> <with|without>
//
// preview and up expect no changes (--expect-no-changes); apply is an up that applies what is
// pending, quietly; deploy is the setup's first up, its output printed.
// "with": the migration provider and the PrecogMigrations component (compiled, dist/pulumi), its
// predecessor read through a StackReference when BENCH_PREDECESSOR names one; "without": the same
// program registering neither, exporting the same keys. The rest comes from the environment:
// BENCH_ENGINE (the CLI's bin folder), BENCH_MIGRATIONS (the folder), BENCH_CONNECTION (the
// migrator's connection as JSON, its password for the provider's config), BENCH_ENVIRONMENT, and the backend's PULUMI_* variables.
// Exits non-zero when the command fails (paired.js reports it).
const { dirname, join, resolve } = require("node:path");
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");

const ROOT = resolve(__dirname, "../..");
const [dir, stackName, command, mode] = process.argv.slice(2);

function program() {
  const pulumi = require("@pulumi/pulumi");
  if (mode === "without") return { migrations: null, schemaVersion: null };
  const infra = join(ROOT, "dist/pulumi/infra/migrations");
  const { migrationsComponentName, migrationsProvider } = require(join(infra, "resource.js"));
  const { PrecogMigrations } = require(join(infra, "component.js"));
  const name = `precog-${process.env.BENCH_ENVIRONMENT}`;
  // The connection's password goes to the provider's config, the rest is the resource's login (as
  // on a local stack: infra/migrations/contract.ts MigrationsLogin "provider-config").
  const { password, ...target } = JSON.parse(process.env.BENCH_CONNECTION);
  const provider = migrationsProvider(name, { migratorPassword: pulumi.secret(password) }, {});
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

async function main() {
  if (!["preview", "up", "apply", "deploy"].includes(command) || !["with", "without"].includes(mode)) {
    throw new Error(
      "usage: node bench/lib/inline-migrations.js <project dir> <stack> <preview|up|apply|deploy> <with|without>",
    );
  }
  const pulumiCommand = await PulumiCommand.get({ root: dirname(process.env.BENCH_ENGINE), skipVersionCheck: true });
  const stack = await LocalWorkspace.selectStack(
    { stackName, workDir: dir },
    { workDir: dir, program: async () => program(), pulumiCommand, envVars: { PULUMI_SKIP_UPDATE_CHECK: "true" } },
  );
  if (command === "preview") await stack.preview({ expectNoChanges: true });
  else if (command === "up") await stack.up({ expectNoChanges: true });
  else if (command === "apply") await stack.up();
  else await stack.up({ onOutput: (s) => process.stdout.write(s) });
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
