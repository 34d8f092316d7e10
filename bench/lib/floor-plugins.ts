/**
 * The do-nothing provider plugins the benches measure the migration plugin against
 * (./floor-plugin): built into a folder of their own as `npm run build` builds the migration
 * plugin (bundle, code cache, a wrapper the engine runs), for bench/pulumi/migrations-ledger-size.ts
 * and bench/pulumi/plugin-start.ts. Needs `npm run build` (the code cache's writer runs its compiled
 * file in a process of its own).
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../testbed/pulumi-project";

const { bundlePlugin } = require(
  join(ROOT, "dist/pulumi/infra/startup/bundle-plugin.js"),
) as typeof import("../../infra/startup/bundle-plugin");
const { codeCacheOf } = require(
  join(ROOT, "dist/pulumi/infra/startup/code-cache.js"),
) as typeof import("../../infra/startup/code-cache");

/** The inline program's modes that register a do-nothing provider (./inline-program.js). */
export type FloorMode = "floor" | "floor-grpc";
/** Their packages, by mode. */
export const { FLOOR_PACKAGES } = require("./inline-program") as { FLOOR_PACKAGES: Record<FloorMode, string> };
/** Their plugins' entries: the SDK's provider server, and grpc-js alone. */
const FLOOR_ENTRIES: Record<FloorMode, string> = {
  floor: "bench/lib/floor-plugin/main.js",
  "floor-grpc": "bench/lib/floor-plugin/grpc-only.js",
};

/** One do-nothing plugin built: the mode that registers it, its package, its folder (the wrapper's). */
export interface FloorPlugin {
  readonly mode: FloorMode;
  readonly pkg: string;
  readonly dir: string;
}

/** Every do-nothing plugin, each built in a folder of its own under `work`. */
export function buildFloorPlugins(work: string): FloorPlugin[] {
  return (Object.keys(FLOOR_PACKAGES) as FloorMode[]).map((mode) => {
    const pkg = FLOOR_PACKAGES[mode];
    return { mode, pkg, dir: floorPlugin(work, pkg, FLOOR_ENTRIES[mode]) };
  });
}

/** The wrapper the engine runs for `plugin`: `pulumi-resource-<package>` in its folder. */
export function wrapperOf(plugin: { readonly pkg: string; readonly dir: string }): string {
  return join(plugin.dir, `pulumi-resource-${plugin.pkg}`);
}

/**
 * The folder under `work` of the plugin of package `pkg` made from `entry`: its bundle and code
 * cache made as `npm run build` makes the migration plugin's, and the wrapper, which starts it with
 * that cache (./floor-plugin/start.js).
 */
function floorPlugin(work: string, pkg: string, entry: string): string {
  const dir = join(work, pkg);
  mkdirSync(dir);
  const bundle = join(dir, "bundle.js");
  bundlePlugin(ROOT, entry, bundle);
  if (!existsSync(codeCacheOf(bundle))) throw new Error(`the floor plugin's bundle ${bundle} has no code cache`);
  const wrapper = wrapperOf({ pkg, dir });
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexport PRECOG_FLOOR_BUNDLE='${bundle}'\nexec node '${join(ROOT, "bench/lib/floor-plugin/start.js")}' "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  return dir;
}
