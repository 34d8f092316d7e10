/**
 * The provider records as its ledger the history `migrate` hands back (it always asks with
 * `returnHistory`). A `migrate` that handed back none is an error, not a ledger read some other
 * way: the apply fails saying so, and its state records the database's ledger as any failure does.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { create } from "../../infra/migrations/provider-impl";
import type { MigrationsInputs } from "../../infra/migrations/state";
import { migrationFiles } from "../../src/migrate";
import { clientConfig, createScratchDatabase, dropDatabase } from "../helpers/pg";
import { migrationsDir, removeDir, sql } from "../migrate/helpers";

vi.mock("../../src/migrate", async (actual) => {
  const real = await actual<typeof import("../../src/migrate")>();
  return {
    ...real,
    // The real run, its history dropped.
    migrate: async (o: Parameters<typeof real.migrate>[0]) => {
      const { history: _history, ...rest } = await real.migrate(o);
      return rest;
    },
  };
});

describe("the provider's apply when migrate hands back no history", () => {
  let db: string;
  let dir: string;
  beforeEach(async () => {
    db = await createScratchDatabase("nohist");
    dir = migrationsDir({ "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;") });
  });
  afterEach(async () => {
    await dropDatabase(db);
    removeDir(dir);
  });

  it("fails with `migrate returned no history`, the state's ledger the database's", async () => {
    const c = clientConfig(db);
    const files = await migrationFiles(dir, false);
    const inputs: MigrationsInputs = {
      environment: "dev",
      connection: {
        host: String(c.host),
        port: Number(c.port),
        database: db,
        user: String(c.user),
        password: String(c.password),
        sslMode: "disable",
      },
      dir,
      migrations: Object.fromEntries(files.map((f) => [f.filename, f.checksum])),
      allowed: null,
      backup: { kind: "none" },
      operator: "no-history-test",
    };
    const err = await create(inputs).then(
      () => undefined,
      (e: Error & { properties?: { ledger: { version: string }[] } }) => e,
    );
    expect(err?.message).toMatch(/^migrate returned no history\n/);
    expect(err?.properties?.ledger.map((e) => e.version)).toEqual(["1"]);
  });
});
