/**
 * The migration plugin's code cache (./code-cache.ts), made by `npm run build` right after the
 * bundle (./bundle-plugin.ts): `writePluginCodeCache` starts the bundle in a process of its own, as
 * the engine starts it (its one argument an engine address it never calls, since the plugin's log
 * connects only when it has something to say), and once the plugin has printed the port it serves
 * on, that process writes the cache of everything the start compiled beside the bundle and ends.
 */
import { spawnSync } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { codeCacheOf, runWithCodeCache } from "./code-cache";

/** How long the plugin may take to print its port before the build gives up. */
const START_TIMEOUT_MS = 60_000;

/** Writes the code cache of the plugin's bundle at `bundle` (absolute), or throws saying why not. */
export function writePluginCodeCache(bundle: string): void {
  const run = spawnSync(process.execPath, [__filename, bundle], { encoding: "utf8", timeout: START_TIMEOUT_MS });
  if (run.status !== 0) {
    const why = run.error?.message ?? `exit ${run.status ?? run.signal}`;
    throw new Error(
      `npm run build: the migration plugin's bundle (${bundle}) did not start to make its code cache (${why}): ` +
        `${run.stderr.trim() || "no output"}. Run it as the engine does (infra/migrations/plugin/pulumi-resource-precog-migrations 127.0.0.1:1) to see why.`,
    );
  }
}

/** In the child: starts the bundle and writes its cache once the port is out. */
function startAndWrite(bundle: string): void {
  process.argv = [process.argv[0], bundle, "127.0.0.1:1"];
  const write = process.stdout.write.bind(process.stdout);
  let started: ReturnType<typeof runWithCodeCache> | undefined;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    // The port is the plugin's first output; what the start compiled is in by the next turn.
    setImmediate(() => {
      if (!started) throw new Error("the plugin printed before its bundle had run");
      const file = codeCacheOf(bundle);
      writeFileSync(`${file}.tmp`, started.script.createCachedData());
      renameSync(`${file}.tmp`, file);
      process.exit(0);
    });
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  started = runWithCodeCache(bundle, { useCache: false });
}

if (require.main === module) startAndWrite(process.argv[2]);
