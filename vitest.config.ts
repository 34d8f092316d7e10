import { defineConfig } from "vitest/config";

/**
 * `npm test`: everything that can run on these machines. tests/e2e-full needs the postgresql and
 * random Pulumi providers, which cannot be built here; it runs with `npm run test:e2e-full`.
 */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/e2e-full/**", "**/node_modules/**"],
    globalSetup: ["tests/helpers/pg-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 20 * 60_000,
    pool: "forks",
  },
});
