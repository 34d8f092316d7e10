import { configDefaults, defineConfig } from "vitest/config";
import { wholeProgramExcluded } from "./tests/helpers/whole-program-suites";

/**
 * `npm test`: every test. The suites that deploy the whole program (tests/e2e) run where the
 * upstream Pulumi plugins are installed, and are left out elsewhere, saying so in one line
 * (tests/helpers/whole-program-suites.ts); tests/engine runs what the project owns through the real
 * Pulumi CLI everywhere.
 */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...wholeProgramExcluded()],
    globalSetup: ["tests/helpers/pg-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 20 * 60_000,
    pool: "forks",
  },
});
