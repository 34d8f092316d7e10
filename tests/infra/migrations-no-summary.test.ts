/**
 * The provider records as its ledger the summary `migrate` hands back (it always asks with
 * `returnSummary`). A `migrate` that handed back none is an error, not a ledger read some other
 * way: the apply fails saying so, and its state records the database's ledger as any failure does.
 */
import { describe, expect, it, vi } from "vitest";
import type { MigrationsState } from "../../infra/migrations/contract";
import { create } from "../../infra/migrations/plugin/crud";
import { recordedVersions } from "../helpers/recorded";
import { scratchMigrations, sql } from "../migrate/helpers";
import { providerInputs } from "./provider-inputs";

vi.mock("../../src/migrate", async (actual) => {
  const real = await actual<typeof import("../../src/migrate")>();
  return {
    ...real,
    // The real run, its summary dropped.
    migrate: async (o: Parameters<typeof real.migrate>[0]) => {
      const { summary: _summary, ...rest } = await real.migrate(o);
      return rest;
    },
  };
});

const scratch = scratchMigrations("nosum");

describe("the provider's apply when migrate hands back no summary", () => {
  it("fails with `migrate returned no ledger summary`, the state's ledger the database's", async () => {
    const dir = scratch.files({ "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;") });
    const inputs = await providerInputs(scratch.db, dir, {
      environment: "dev",
      backup: { kind: "none" },
      operator: "no-summary-test",
    });
    const err = await create(inputs).then(
      () => undefined,
      (e: Error & { properties?: MigrationsState }) => e,
    );
    expect(err?.message).toMatch(/^migrate returned no ledger summary\n/);
    expect(recordedVersions(err?.properties ?? {})).toEqual(["1"]);
  });
});
