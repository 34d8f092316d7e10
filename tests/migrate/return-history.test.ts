/**
 * `returnHistory`: `migrate` hands back the history as the run leaves it, read on its own
 * connection (what the Pulumi component records as its ledger), after an apply and after a no-op
 * run alike; without the option there is none. The history is read once a run: a run that has
 * just read it to compare hands back those rows (history.ts's reads counted through a pass-through
 * mock).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import * as history from "../../src/migrate/history";
import { connectionFor, scratchMigrations, sql } from "./helpers";

vi.mock("../../src/migrate/history", async (actual) => {
  const real = await actual<typeof import("../../src/migrate/history")>();
  return { ...real, readHistoryRows: vi.fn(real.readHistoryRows) };
});
const reads = vi.mocked(history.readHistoryRows);
beforeEach(() => {
  reads.mockClear();
});

const scratch = scratchMigrations("rethist");
const opts = (extra: object = {}) => ({ ...scratch.opts(), operator: "tester", ...extra });

describe("migrate with returnHistory", () => {
  it("returns the history as readHistory reads it after the run, applying or not", async () => {
    scratch.files({
      "1_first.sql": sql("CREATE TABLE t (id int);"),
      "2_second.sql": sql("INSERT INTO t VALUES (1);"),
    });
    const applied = await migrate(opts({ returnHistory: true }));
    const history = await readHistory({ connection: connectionFor(scratch.db), environment: "dev" });
    expect(history.map((h) => [h.version, h.name, h.appliedBy])).toEqual([
      ["1", "first", "tester"],
      ["2", "second", "tester"],
    ]);
    expect(applied.history).toEqual(history);

    const noop = await migrate(opts({ returnHistory: true }));
    expect(noop.applied).toEqual([]);
    expect(noop.history).toEqual(history);
  });

  it("returns no history without the option", async () => {
    scratch.files({ "1_first.sql": sql("CREATE TABLE t (id int);") });
    expect((await migrate(opts())).history).toBeUndefined();
  });

  it("reads the history once when the comparison finds nothing pending, and hands back those rows", async () => {
    scratch.files({
      "1_first.sql": sql("CREATE TABLE t (id int);"),
      "2_second.sql": sql("INSERT INTO t VALUES (1);"),
    });
    await migrate(opts({ targetVersion: "1" }));
    reads.mockClear();
    // A target version skips the digest: the run compares, finds nothing up to 1 pending, and stops.
    const noop = await migrate(opts({ targetVersion: "1", returnHistory: true }));
    expect(noop.applied).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(noop.history?.map((h) => h.version)).toEqual(["1"]);
    expect(noop.history).toEqual(await readHistory({ connection: connectionFor(scratch.db), environment: "dev" }));
  });

  it("reads it after the digest's answer and after applying, where no rows were read", async () => {
    scratch.files({ "1_first.sql": sql("CREATE TABLE t (id int);") });
    // Applying: the comparison, the re-check under the lock, and the history as the apply left it.
    expect((await migrate(opts({ returnHistory: true }))).history?.map((h) => h.version)).toEqual(["1"]);
    expect(reads).toHaveBeenCalledTimes(3);
    reads.mockClear();
    // Up to date by the digest: no rows read until the result's.
    expect((await migrate(opts({ returnHistory: true }))).history?.map((h) => h.version)).toEqual(["1"]);
    expect(reads).toHaveBeenCalledTimes(1);
  });
});
