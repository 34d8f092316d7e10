/**
 * Modules that a run of the program loads on import but rarely uses,
 * deferred until their first use:
 *
 * - the Pulumi SDK's closure tools, TypeScript's compiler and npm's arborist, which it uses only to
 *   serialize a JavaScript function into a closure (a callback-style Lambda, say), which this
 *   project never does: most of what `import "@pulumi/pulumi"` costs (769 modules without them, 326
 *   with);
 * - the SDK's Automation API, which its index imports and a program never uses (about 60 modules).
 *
 * Both are imported by the SDK's own index, so a stand-in is the only way not to load them. Our own
 * modules' imports are not deferred here: `@pulumi/aws` (about 300 modules), which only the aws
 * stacks use, is imported only by the modules ../aws-builders.ts reaches, which the program loads
 * on aws stacks only (../program.ts). (The migration plugin is bundled, ./bundle-plugin.ts, and the
 * bundle holds none of these.)
 *
 * `deferModules()` puts a stand-in in Node's module cache for each, which loads the real module on
 * its first use, so a run that never uses one never loads it, and one that does gets the real
 * module. It must run before anything imports them (./prepare-program.ts, which infra/index.ts
 * calls first). A module that is already loaded is left as it is.
 */
import { Module } from "node:module";
import { dirname } from "node:path";

/** The SDK's tools that only closure serialization uses, resolved from the SDK's own folder. */
const CLOSURE_TOOLS = ["typescript", "@npmcli/arborist"];

/** The paths of the modules deferred, as Node resolves them. */
export function deferrablePaths(): string[] {
  const sdk = dirname(require.resolve("@pulumi/pulumi/package.json"));
  return [
    ...CLOSURE_TOOLS.map((id) => require.resolve(id, { paths: [sdk] })),
    require.resolve("@pulumi/pulumi/automation"),
  ];
}

/** Defers every module of `deferrablePaths()` that is not loaded yet. Returns the paths deferred. */
export function deferModules(): string[] {
  return deferrablePaths().filter(deferModule);
}

/**
 * Puts a stand-in for the module at `path` into the cache: a proxy that loads the module on the first
 * property read and forwards everything to it. It reports itself as an ES module, so TypeScript's
 * `__importStar` helper hands the proxy on as it is instead of copying its properties (which would
 * load the module at once); `default` is then the module itself, as `__importStar` would make it.
 * False when the module is already loaded.
 */
function deferModule(path: string): boolean {
  if (require.cache[path]) return false;
  let real: Record<PropertyKey, unknown> | undefined;
  const load = (): Record<PropertyKey, unknown> => {
    if (real === undefined) {
      delete require.cache[path];
      real = require(path) as Record<PropertyKey, unknown>;
    }
    return real;
  };
  const exports = new Proxy({} as Record<PropertyKey, unknown>, {
    get: (_, key) => {
      if (key === "__esModule") return true;
      const mod = load();
      return key === "default" && !("default" in mod) ? mod : mod[key];
    },
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), key);
      return d && { ...d, configurable: true };
    },
  });
  const stand = new Module(path);
  stand.filename = path;
  stand.loaded = true;
  stand.exports = exports;
  require.cache[path] = stand;
  return true;
}
