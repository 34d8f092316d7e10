/**
 * Config for the parallel isolation demo (run by ../parallel.test.ts, not by the main run: these
 * files end in .spec.ts). Four files in four forked workers at once, against the database named by
 * the DB_* variables the parent passes; no global setup of its own.
 */
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: resolve(__dirname, "../../.."),
  test: {
    include: ["tests/testing/parallel/*.spec.ts"],
    pool: "forks",
    fileParallelism: true,
    poolOptions: { forks: { minForks: 4, maxForks: 4 } },
    testTimeout: 60_000,
  },
});
