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
 * top level (tried: no gain); one taken after the start holds every function the start called.
 *
 * V8 takes a cache only from its own version and flags, and otherwise rejects it and compiles as
 * usual (so a Node upgrade costs speed, not correctness); but it tells one source from another only
 * by length. So a cache is used only when it is newer than its file: the build removes the old cache
 * before it writes the bundle, and writes the cache after.
 *
 * What the file may not do under this loader: a dynamic `import()` (a script compiled by `vm` has no
 * loader for it in Node 20); the plugin's bundle has none (tests/infra/plugin-bundle.test.ts).
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

/** Where the code cache of `file` is kept. */
export function codeCacheOf(file: string): string {
  return `${file}.v8-cache`;
}

/** `file` compiled: the script (to run, or to make a cache from) and how its cache fared. */
export interface Compiled {
  readonly script: Script;
  /** "used" when V8 took the cache; "rejected" when it refused it (another Node, other flags); "none" when there was none to offer. */
  readonly cache: "used" | "rejected" | "none";
}

/** Compiles `file` (CommonJS, as Node wraps a module) with its code cache when there is one newer than the file. */
export function compileWithCodeCache(file: string, options: { readonly useCache: boolean }): Compiled {
  const cachedData = options.useCache ? freshCache(file) : undefined;
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  return { script, cache: cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "used" };
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

/** The cache of `file` when it is newer than the file (made from it by the build), else undefined. */
function freshCache(file: string): Buffer | undefined {
  const cacheFile = codeCacheOf(file);
  const cached = statSync(cacheFile, { throwIfNoEntry: false });
  if (cached === undefined || cached.mtimeMs < statSync(file).mtimeMs) return undefined;
  try {
    return readFileSync(cacheFile);
  } catch {
    // Unreadable: the file is compiled as usual.
    return undefined;
  }
}
