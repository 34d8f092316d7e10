/**
 * The Pulumi SDK loads two large tools when it is first imported, TypeScript's compiler and npm's
 * arborist, though it uses them only to serialize a JavaScript function into a closure (a
 * callback-style Lambda, say), which this program never does. Loading them is most of what
 * `import "@pulumi/pulumi"` costs: about 0.7 s of every preview and up. `deferSdkTools()` puts a
 * stand-in in Node's module cache for each, which loads the real module on its first use, so a run
 * that never serializes a function never loads them, and one that does gets the real modules.
 *
 * It must run before anything imports `@pulumi/pulumi` (infra/index.ts calls it first). A tool that
 * is already loaded is left as it is.
 */
import { Module } from "node:module";
import { dirname } from "node:path";

/** The SDK's tools that only closure serialization uses. */
const CLOSURE_TOOLS = ["typescript", "@npmcli/arborist"];

/** Defers the SDK's closure tools, as resolved from the SDK's own folder. Returns their paths. */
export function deferSdkTools(): string[] {
  const sdk = dirname(require.resolve("@pulumi/pulumi/package.json"));
  return CLOSURE_TOOLS.map((id) => require.resolve(id, { paths: [sdk] })).filter(deferModule);
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
