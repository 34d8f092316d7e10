/**
 * Where the migration plugin's process starts (./pulumi-resource-precog-migrations runs it): the
 * plugin's bundle (../../startup/bundle-plugin.ts, whose entry is ./main.ts), run with the code
 * cache the build made for it (../../startup/code-cache.ts), which saves compiling the functions its
 * start calls on every `pulumi preview` and `up`.
 */
import { join } from "node:path";
import { runWithCodeCache } from "../../startup/code-cache";

runWithCodeCache(join(__dirname, "../plugin-bundle.js"), { useCache: true });
