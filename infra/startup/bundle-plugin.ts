/**
 * The migration provider plugin as one file: `npm run build` bundles the compiled plugin
 * (dist/pulumi/infra/migrations/plugin/main.js and what it imports) into `PLUGIN_BUNDLE`, which
 * infra/migrations/plugin/pulumi-resource-precog-migrations runs.
 *
 * Why: the engine starts a provider's process while it registers the provider, and registers
 * nothing else until the plugin answers, so every `pulumi preview` and `pulumi up` waits for the
 * plugin's start-up in full. Loaded as ~190 separate modules, the SDK's provider server with its
 * gRPC and protobuf code took most of it, much of that spent finding and reading the files: one
 * file, without the whitespace, starts in less time (docs/migrations.md, "What the component adds
 * to a no-op preview and up"); and V8's code cache of what its start compiles, which the plugin's
 * loader (../migrations/plugin/start.ts) runs it with, saves compiling that on every start
 * (./code-cache.ts, written by ./plugin-code-cache.ts).
 *
 * Left out, loaded from node_modules on first use: the AWS SDK (RDS snapshots, aws stacks only) and
 * the SQL parser (WebAssembly, read from its own folder; lint only). Left out and never used:
 * grpc-js's loader of .proto files with protobufjs, which only its channelz and ORCA services use
 * (the plugin serves neither; their .proto files are not beside the bundle either).
 */
import { resolve } from "node:path";
import { buildSync } from "esbuild";
import { removeCodeCaches } from "./code-cache";
import { writePluginCodeCache } from "./plugin-code-cache";
import { PLUGIN_BUNDLE, PLUGIN_ENTRY } from "./plugin-paths";

const EXTERNAL = ["@aws-sdk/*", "libpg-query", "@grpc/proto-loader"];

/**
 * Writes `PLUGIN_BUNDLE` under `root` from the compiled `PLUGIN_ENTRY`, then its code cache; or,
 * given `entry` and `out` (relative to `root`, or absolute), another plugin's the same way.
 */
export function bundlePlugin(root: string, entry = PLUGIN_ENTRY, out = PLUGIN_BUNDLE): void {
  const bundle = resolve(root, out);
  removeCodeCaches(bundle);
  buildSync({
    absWorkingDir: root,
    entryPoints: [resolve(root, entry)],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    // Less to read and parse at every start; names are kept, so errors and traces still name them.
    minifyWhitespace: true,
    logLevel: "warning",
  });
  try {
    writePluginCodeCache(bundle);
  } catch (e) {
    // The plugin runs without it, only slower to start; tests/infra/plugin-bundle.test.ts fails then.
    process.stderr.write(`warning: ${(e as Error).message} The plugin will start without its code cache.\n`);
  }
}

if (require.main === module) bundlePlugin(process.cwd());
