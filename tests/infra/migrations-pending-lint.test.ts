/**
 * The component's lint of pending files (infra/migrations/plugin/pending-lint.ts): in a preview, findings
 * are warnings on dev and test and an error on staging and prod unless approved in the file; in
 * the update that follows, dev and test are not linted again, staging and prod are (a refusal
 * must come before the provider's snapshot).
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

async function run(environment: Environment, preview: boolean) {
  const pending = (await migrationFiles(dir, false)).filter((f) => f.version === "2").map((f) => f.filename);
  const logged: { info: string[]; warn: string[] } = { info: [], warn: [] };
  const log = {
    info: async (m: string) => void logged.info.push(m),
    warn: async (m: string) => void logged.warn.push(m),
  };
  const outcome = await lintPending({ dir, environment, pending, preview, log }).then(
    () => undefined,
    (e: Error) => e.message,
  );
  return { logged, outcome };
}

describe("lint of the pending files", () => {
  it("in a preview on dev, logs what is pending and each finding as a warning", async () => {
    const { logged, outcome } = await run("dev", true);
    expect(outcome).toBeUndefined();
    expect(logged.info).toEqual(["pending migrations: 0002_drop.sql"]);
    expect(logged.warn).toHaveLength(1);
    expect(logged.warn[0]).toMatch(/^0002_drop\.sql:2:1 drop-table: /);
  });

  it("in a preview on prod, refuses a finding that its file does not approve, naming file, line and rule", async () => {
    const { outcome } = await run("prod", true);
    expect(outcome).toMatch(/^Lint refuses 1 finding\(s\) in pending migrations on prod;/);
    expect(outcome).toContain("  - 0002_drop.sql:2:1 drop-table: ");
  });

  it("in the update after the preview, lints nothing on dev and test", async () => {
    for (const environment of ["dev", "test"] as const) {
      const { logged, outcome } = await run(environment, false);
      expect(outcome).toBeUndefined();
      expect(logged).toEqual({ info: ["pending migrations: 0002_drop.sql"], warn: [] });
    }
  });

  it("in the update, still refuses the finding on staging and prod", async () => {
    for (const environment of ["staging", "prod"] as const) {
      const { outcome } = await run(environment, false);
      expect(outcome).toMatch(new RegExp(`^Lint refuses 1 finding\\(s\\) in pending migrations on ${environment};`));
    }
  });
});
