/**
 * Running a CommonJS file with V8's code cache: the bytecode of the functions a start of it
 * compiled, kept in a file beside it, so that the next process deserializes them instead of
 * parsing and compiling them again. The migration plugin's start pays this compile on every
 * `pulumi preview` and `up` (./bundle-plugin.ts), so `npm run build` makes its cache once
 * (./plugin-code-cache.ts) and the plugin's loader (../migrations/plugin/start.ts) runs the bundle
 * with it.
 *
 * The cache is made after the start has run, not right after the compile: V8 compiles a function
 * only when it is first called, so a cache taken before the run holds little more than the file's
 * top level (137 KB for the plugin's bundle, against 1.1 MB after its start).
 *
 * V8 takes a cache only from its own version and flags, and otherwise rejects it and compiles as
 * usual (so a Node upgrade costs speed, not correctness); but it tells one source from another only
 * by length, and runs a cache of another source of the same length as if it were this one's (seen).
 * So a cache is named for the file it was made from, as stat() saw it before the file was read
 * (size, modification time in nanoseconds, inode): a file written since has another name, and no
 * cache.
 *
 * Not as Node's own loader: `require.main` is the loader's module, and columns on the file's first
 * line are shifted by the wrapper's length in stack traces. A dynamic `import()` would need
 * `importModuleDynamically` (experimental in Node 20); the plugin's bundle has none
 * (tests/infra/plugin-bundle.test.ts).
 */
import { type BigIntStats, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

const SUFFIX = ".v8-cache";

/** Where the code cache of `file` as stat() sees it (`st`, now by default) is kept. */
export function codeCacheOf(file: string, st: BigIntStats = statSync(file, { bigint: true })): string {
  return `${file}.${st.size}-${st.mtimeNs}-${st.ino}${SUFFIX}`;
}

/** Removes every code cache kept beside `file`, of whatever version of it. */
export function removeCodeCaches(file: string): void {
  const prefix = `${basename(file)}.`;
  const names = existsSync(dirname(file)) ? readdirSync(dirname(file)) : [];
  for (const name of names)
    if (name.startsWith(prefix) && name.endsWith(SUFFIX)) rmSync(join(dirname(file), name), { force: true });
}

/** `file` compiled: the script (to run, or to make a cache from) and how its cache fared. */
export interface Compiled {
  readonly script: Script;
  /** "used" when V8 took the cache; "rejected" when it refused it (another Node, other flags); "none" when there was none for this file. */
  readonly cache: "used" | "rejected" | "none";
  /** Where the cache of the text compiled is kept, or goes; undefined when the file was written while it was read. */
  readonly cacheFile: string | undefined;
}

/** Compiles `file` (CommonJS, as Node wraps a module) with the code cache made from it, if there is one. */
export function compileWithCodeCache(file: string, options: { readonly useCache: boolean }): Compiled {
  const before = codeCacheOf(file);
  const source = readFileSync(file, "utf8");
  // Written while it was read: this text is of no known version, and gets no cache.
  const cacheFile = before === codeCacheOf(file) ? before : undefined;
  const cachedData = options.useCache && cacheFile ? readCache(cacheFile) : undefined;
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  const cache = cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "used";
  return { script, cache, cacheFile };
}

/**
 * Compiles `file` with its code cache ({@link compileWithCodeCache}) and runs it as a module of its
 * own: its `require` resolves from its folder, as Node's own loader would.
 */
export function runWithCodeCache(file: string, options: { readonly useCache: boolean }): Compiled {
  const compiled = compileWithCodeCache(file, options);
  const module = new Module(file);
  module.filename = file;
  const run = compiled.script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return compiled;
}

function readCache(cacheFile: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    // None, or unreadable: the file is compiled as usual.
    return undefined;
  }
}
