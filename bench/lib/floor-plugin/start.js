// Runs the floor plugin's bundle (./main.js, bundled by bench/pulumi/migrations-ledger-size.ts into
// PRECOG_FLOOR_BUNDLE) with its code cache, as infra/migrations/plugin/start.ts runs the migration
// plugin's; the wrapper the bench writes beside the bundle starts this file.
const { join } = require("node:path");
const { runWithCodeCache } = require(join(__dirname, "../../../dist/pulumi/infra/startup/code-cache.js"));

runWithCodeCache(process.env.PRECOG_FLOOR_BUNDLE, { useCache: true });
