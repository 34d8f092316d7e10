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

/** A do-nothing provider, as ./inline-program.js's FLOORS has it: its package, its plugin's entry, what serves it. */
interface Floor {
  readonly pkg: string;
  readonly entry: string;
  readonly servedBy: string;
}
/** The do-nothing providers, by the inline program's mode that registers one. */
const { FLOORS } = require("./inline-program") as { FLOORS: Record<string, Floor> };

/** One do-nothing plugin built: the mode that registers it, its package, what serves it, its folder (the wrapper's). */
export interface FloorPlugin extends Floor {
  readonly mode: string;
  readonly dir: string;
}

/** Every do-nothing plugin, each built in a folder of its own under `work`. */
export function buildFloorPlugins(work: string): FloorPlugin[] {
  return Object.entries(FLOORS).map(([mode, floor]) => ({
    mode,
    ...floor,
    dir: floorPlugin(work, floor.pkg, floor.entry),
  }));
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
