import { defineConfig } from "vitest/config";

/** `npm run test:e2e-full`: all four stacks deployed by the real engine with real providers. */
export default defineConfig({
  test: {
    include: ["tests/e2e-full/**/*.test.ts"],
    globalSetup: ["tests/helpers/pg-global-setup.ts"],
    testTimeout: 15 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: "forks",
  },
});
