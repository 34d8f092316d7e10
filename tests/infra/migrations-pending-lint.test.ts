/**
 * The component's lint of pending files (infra/migrations/plugin/pending-lint.ts), the same in a
 * preview and in the update after it (the provider cannot tell them apart, and a saved plan needs
 * the same inputs in both): findings are warnings on dev and test and an error on staging and prod
 * unless approved in the file (a refusal must come before the provider's snapshot).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintPending } from "../../infra/migrations/plugin/pending-lint";
import type { Environment } from "../../src/env/environment";
import { migrationFiles } from "../../src/migrate";

const dir = mkdtempSync(join(tmpdir(), "precog-pending-lint-"));
writeFileSync(
  join(dir, "0001_markets.sql"),
  "-- migrate:up\nCREATE TABLE markets (id int);\n\n-- migrate:down\nDROP TABLE markets;\n",
);
writeFileSync(join(dir, "0002_drop.sql"), "-- migrate:up\nDROP TABLE markets;\n\n-- migrate:down\nSELECT 1;\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(environment: Environment) {
  const pending = (await migrationFiles(dir, false)).filter((f) => f.version === "2").map((f) => f.filename);
  const logged: { info: string[]; warn: string[] } = { info: [], warn: [] };
  const log = {
    info: async (m: string) => void logged.info.push(m),
    warn: async (m: string) => void logged.warn.push(m),
  };
  const outcome = await lintPending({ dir, environment, pending, log }).then(
    () => undefined,
    (e: Error) => e.message,
  );
  return { logged, outcome };
}

describe("lint of the pending files", () => {
  it("on dev and test, logs each finding as a warning", async () => {
    for (const environment of ["dev", "test"] as const) {
      const { logged, outcome } = await run(environment);
      expect(outcome).toBeUndefined();
      expect(logged.info).toEqual([]);
      expect(logged.warn).toHaveLength(1);
      expect(logged.warn[0]).toMatch(/^0002_drop\.sql:2:1 drop-table: /);
    }
  });

  it("on staging and prod, refuses a finding that its file does not approve, naming file, line and rule", async () => {
    for (const environment of ["staging", "prod"] as const) {
      const { outcome } = await run(environment);
      expect(outcome).toMatch(new RegExp(`^Lint refuses 1 finding\\(s\\) in pending migrations on ${environment};`));
      expect(outcome).toContain("  - 0002_drop.sql:2:1 drop-table: ");
    }
  });
});
