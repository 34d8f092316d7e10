/**
 * Versions are numbers (issue 30, item 1): "9" comes before "10", whatever the digits. With
 * versions of every length from 1 to 19 digits (the history's bigint holds 19), the history reads
 * oldest first, `down` rolls back the numerically newest, a late file older than the newest applied
 * is refused as out of order, `validate` builds its scratch copy up to the real newest and finds no
 * drift, and the migration provider's `schemaVersion` is the numeric maximum.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stateOf } from "../../infra/migrations/contract";
import { migrationsProvider } from "../../infra/migrations/plugin/server";
import {
  down,
  listDigest,
  migrate,
  migrationFiles,
  predecessorView,
  stackOrderProblems,
  status,
  summaryOf,
  validate,
} from "../../src/migrate";
import { adminConfig } from "../helpers/pg";
import { recordedVersions } from "../helpers/recorded";
import { scratchMigrations, sql } from "./helpers";

/** 1, 10, 100, ... 10^18: one version of each length from 1 to 19 digits, and 9 between 1 and 10. */
const NUMERIC = ["1", "9", ...Array.from({ length: 18 }, (_, k) => `1${"0".repeat(k + 1)}`)];
const NEWEST = "1000000000000000000";
const fileOf = (v: string) => `${v}_t${v.length}${v === "9" ? "nine" : ""}.sql`;
const tableOf = (v: string) => `t_${v}`;
const allFiles = () =>
  Object.fromEntries(
    NUMERIC.map((v) => [fileOf(v), sql(`CREATE TABLE ${tableOf(v)} (id int);`, `DROP TABLE ${tableOf(v)};`)]),
  );

const s = scratchMigrations("versions");

describe("migration versions of mixed length are ordered as numbers", () => {
  it("the history and status read oldest first by number", async () => {
    expect(NUMERIC.map((v) => v.length)).toEqual([1, 1, ...Array.from({ length: 18 }, (_, k) => k + 2)]);
    s.files(allFiles());
    expect((await migrate(s.opts())).applied.map((a) => a.version)).toEqual(NUMERIC);
    expect(await s.versions()).toEqual(NUMERIC);
    const st = await status(s.opts());
    expect(st.entries.map((e) => e.version)).toEqual(NUMERIC);
    expect(st.problems).toEqual([]);
  });

  it("down rolls back the numerically newest, then back to a version", async () => {
    s.files(allFiles());
    await migrate(s.opts());
    expect((await down(s.opts())).rolledBack.map((r) => r.version)).toEqual([NEWEST]);
    expect(await s.tables()).not.toContain(tableOf(NEWEST));
    expect(await s.tables()).toContain(tableOf("9"));
    expect((await down({ ...s.opts(), to: "9" })).rolledBack.map((r) => r.version)).toEqual(
      NUMERIC.slice(2, -1).reverse(),
    );
    expect(await s.versions()).toEqual(["1", "9"]);
    expect((await s.tables()).sort()).toEqual(["t_1", "t_9"]);
  });

  it("a late file older than the numerically newest applied one is refused as out of order", async () => {
    const dir = s.files({ "2_a.sql": sql("SELECT 2;"), "10_b.sql": sql("SELECT 10;") });
    await migrate(s.opts());
    writeFileSync(join(dir, "5_late.sql"), sql("SELECT 5;"));
    const refusal =
      "5_late.sql is older than the newest applied migration 10_b.sql: give it a version after 10 (precog-db new <name> picks one), or pass --allow-out-of-order if it really must run after newer ones.";
    await expect(migrate(s.opts())).rejects.toThrow(refusal);
    expect((await status(s.opts())).problems).toEqual([refusal]);
    expect(await s.versions()).toEqual(["2", "10"]);
  });

  it("validate builds its scratch copy up to the numerically newest and reports no drift", async () => {
    s.files(allFiles());
    await migrate(s.opts());
    const r = await validate({ connection: s.opts().connection, dir: s.opts().dir, environment: "dev" });
    expect(r.drift).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("the migration provider records the ledger oldest first and schemaVersion as the numeric maximum", async () => {
    const dir = s.files(allFiles());
    const { host, port, user, password } = adminConfig();
    const files = await migrationFiles(dir, false);
    const provider = migrationsProvider("0.0.0-test", {
      of: () => ({ info: async () => {}, warn: async () => {} }),
      connect: () => {},
    });
    const ins = {
      environment: "dev",
      connection: { host, port, database: s.db, user, password, sslMode: "disable" },
      dir,
      files: listDigest(files),
      predecessor: null,
      predecessorApplied: null,
      backup: { kind: "none" },
      operator: "test",
    };
    const urn = "urn:pulumi:dev::precog::precog-migrations:index:Migrations::precog-dev-migrations";
    const created = await provider.create?.(urn, ins);
    expect(recordedVersions(created?.outs)).toEqual(NUMERIC);
    expect(created?.outs.schemaVersion).toBe(NEWEST);
    const read = await provider.read?.("precog-dev-migrations", urn, created?.outs);
    expect(read?.props.schemaVersion).toBe(NEWEST);
  });

  it("a ledger handed over in any order records the numeric maximum and the ledger oldest first", () => {
    const entry = (version: string) => ({
      version,
      name: `m${version}`,
      checksum: "c",
      appliedAt: "a",
      appliedBy: "b",
    });
    const recorded = { environment: "dev", login: {} as never, backup: { kind: "none" } as const, operator: "o" };
    const state = stateOf(recorded, summaryOf(["10", "9", "100", "2"].map(entry)), null);
    expect(state.schemaVersion).toBe("100");
    expect(recordedVersions(state)).toEqual(["2", "9", "10", "100"]);
  });

  it("the stack-order gate matches versions as numbers, padded or not", () => {
    const gate = {
      stack: "test",
      pending: [{ version: "0010", name: "b", checksum: "c".repeat(64) }],
      predecessor: "dev",
      predecessorApplied: predecessorView(summaryOf([{ version: "10", checksum: "c".repeat(64) }]), [
        { version: "0010", checksum: "c".repeat(64) },
      ]),
    };
    expect(stackOrderProblems(gate)).toEqual([]);
  });
});
