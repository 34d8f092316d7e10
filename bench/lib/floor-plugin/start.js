// Runs a do-nothing plugin's bundle (./main.js or ./grpc-only.js, bundled by ../floor-plugins.ts
// into PRECOG_FLOOR_BUNDLE) with its code cache, as infra/migrations/plugin/start.ts runs the
// migration plugin's; the wrapper ../floor-plugins.ts writes beside the bundle starts this file.
const { join } = require("node:path");
const { runWithCodeCache } = require(join(__dirname, "../../../dist/pulumi/infra/startup/code-cache.js"));

runWithCodeCache(process.env.PRECOG_FLOOR_BUNDLE, { useCache: true });
