/**
 * Where `npm run build` puts the migration plugin, relative to the project's root: the compiled
 * entry (infra/migrations/plugin/main.ts) and the bundle made from it (./bundle-plugin.ts), which
 * the plugin's loader runs (infra/migrations/plugin/start.ts). Its own module, so that the loader
 * need not load esbuild to know it.
 */
export const PLUGIN_ENTRY = "dist/pulumi/infra/migrations/plugin/main.js";
export const PLUGIN_BUNDLE = "dist/pulumi/infra/migrations/plugin-bundle.js";
