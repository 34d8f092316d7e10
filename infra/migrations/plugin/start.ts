/**
 * Where the migration plugin's process starts (./pulumi-resource-precog-migrations runs it): the
 * plugin's bundle (../../startup/bundle-plugin.ts, whose entry is ./main.ts), run with the code
 * cache the build made for it (../../startup/code-cache.ts), which saves compiling the functions its
 * start calls on every `pulumi preview` and `up`. PRECOG_PLUGIN_REPORT_CODE_CACHE set: it says on
 * stderr whether V8 took the cache (tests/infra/plugin-bundle.test.ts).
 */
import { join } from "node:path";
import { runWithCodeCache } from "../../startup/code-cache";
import { PLUGIN_BUNDLE } from "../../startup/plugin-paths";

const { cache } = runWithCodeCache(join(__dirname, "../../../../..", PLUGIN_BUNDLE), { useCache: true });
if (process.env.PRECOG_PLUGIN_REPORT_CODE_CACHE) process.stderr.write(`code cache: ${cache}\n`);
