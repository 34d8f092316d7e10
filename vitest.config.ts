import { defineConfig } from "vitest/config";

/** `npm test`: every test, the real-engine end-to-end suites in tests/e2e included. */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/helpers/pg-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 20 * 60_000,
    pool: "forks",
  },
});
