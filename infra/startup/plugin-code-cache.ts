/**
 * The migration plugin's code cache (./code-cache.ts), made by `npm run build` right after the
 * bundle (./bundle-plugin.ts): `writePluginCodeCache` starts the bundle in a process of its own, as
 * the engine starts it (its one argument an engine address it never calls, since the plugin's log
 * connects only when it has something to say), and once the plugin has printed the port it serves
 * on, that process writes the cache of everything the start compiled beside the bundle and ends.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFileAtomically } from "../../src/fs/write-atomically";
import { type Compiled, runWithCodeCache } from "./code-cache";

/** How long the plugin may take to print its port, by default. */
const START_TIMEOUT_MS = 60_000;

/**
 * Writes the code cache of the plugin's bundle at `bundle` (absolute) and returns its path, or
 * throws saying why not. `self`: this module's compiled file, which the child runs (a test under
 * vitest passes the built one).
 */
export function writePluginCodeCache(bundle: string, timeoutMs = START_TIMEOUT_MS, self = __filename): string {
  const run = spawnSync(process.execPath, [self, bundle], { encoding: "utf8", timeout: timeoutMs });
  const written = run.status === 0 ? run.stdout.trim().split("\n").at(-1) : undefined;
  if (written && existsSync(written)) return written;
  const why = run.error?.message ?? (run.status === 0 ? "no cache written" : `exit ${run.status ?? run.signal}`);
  throw new Error(
    `the migration plugin's bundle (${bundle}) did not start to make its code cache (${why}): ` +
      `${(run.stderr ?? "").trim() || "no output"}. Run it as the engine does ` +
      "(infra/migrations/plugin/pulumi-resource-precog-migrations 127.0.0.1:1) to see why.",
  );
}

/** In the child: starts the bundle and, once its port is out, writes its cache and prints where. */
function startAndWrite(bundle: string): void {
  process.argv = [process.argv[0], bundle, "127.0.0.1:1"];
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown) => boolean;
  let started: Compiled | undefined;
  process.stdout.write = ((chunk: unknown) => {
    // The plugin's first output is its port: what the start compiled is in by the next turn.
    if (/^\d+\s*$/.test(String(chunk))) setImmediate(() => writeCache(started));
    return true;
  }) as typeof process.stdout.write;
  started = runWithCodeCache(bundle, { useCache: false });

  function writeCache(compiled: Compiled | undefined): void {
    // The SDK's provider keeps the process alive past an uncaught error, so every failure ends it here.
    const file = compiled?.cacheFile;
    if (!compiled || !file) fail("the bundle was written while it was read");
    try {
      writeFileAtomically(file, compiled.script.createCachedData());
    } catch (e) {
      fail((e as Error).message);
    }
    write(`${file}\n`);
    process.exit(0);
  }
}

function fail(why: string): never {
  process.stderr.write(`${why}\n`);
  process.exit(2);
}

if (require.main === module) startAndWrite(process.argv[2]);
