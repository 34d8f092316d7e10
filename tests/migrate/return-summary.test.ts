/**
 * `returnSummary`: `migrate` hands back the summary of the history as the run leaves it, read on
 * its own connection (what the Pulumi component records as its ledger), after an apply and after a
 * no-op run alike; without the option there is none. The server sums the table up
 * (`readHistorySummary`), which must be `summaryOf` every row: held to it on real tables on both
 * sides of the summary's listed hundred, with versions whose text order is not their order. A run
 * that has just read the rows to compare sums those up instead of asking again (history.ts's reads
 * counted through a pass-through mock).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { migrate, readHistory, summaryOf } from "../../src/migrate";
import * as history from "../../src/migrate/history";
import { RECENT } from "../../src/migrate/ledger-summary";
import { withAdmin } from "../helpers/pg";
import { connectionFor, scratchMigrations, sql } from "./helpers";

vi.mock("../../src/migrate/history", async (actual) => {
  const real = await actual<typeof import("../../src/migrate/history")>();
  return {
    ...real,
    readHistoryRows: vi.fn(real.readHistoryRows),
    readHistorySummary: vi.fn(real.readHistorySummary),
  };
});
const rowReads = vi.mocked(history.readHistoryRows);
const summaryReads = vi.mocked(history.readHistorySummary);
beforeEach(() => {
  rowReads.mockClear();
  summaryReads.mockClear();
});

const scratch = scratchMigrations("retsum");
const opts = (extra: object = {}) => ({ ...scratch.opts(), operator: "tester", ...extra });
const rows = () => readHistory({ connection: connectionFor(scratch.db), environment: "dev" });

describe("readHistorySummary", () => {
  it("is summaryOf every row, for none, one, a hundred, a hundred and one and 250 applied", async () => {
    await withAdmin(async (c) => {
      expect(await history.readHistorySummary(c)).toEqual(summaryOf([]));
      await history.ensureHistoryTable(c);
      expect(await history.readHistorySummary(c)).toEqual(summaryOf([]));
      // Versions 7, 14, ..., so that 98 sorts after 105 as text, checksums unlike each other; the
      // rows written in no order, so that no order comes from the table's.
      let count = 0;
      for (const upTo of [1, RECENT, RECENT + 1, 250]) {
        await c.query(
          `INSERT INTO precog_migrations.history (version, name, checksum, applied_by, duration_ms)
           SELECT 7 * v, 'm' || v, encode(sha256(v::text::bytea), 'hex'), 'tester', 0
             FROM generate_series($1::int, $2::int) v ORDER BY random()`,
          [count + 1, upTo],
        );
        count = upTo;
        const summary = await history.readHistorySummary(c);
        expect(summary).toEqual(summaryOf(await history.readHistoryRows(c)));
        expect(summary.count).toBe(upTo);
        expect(summary.newest).toBe(String(7 * upTo));
      }
    }, scratch.db);
  });
});

describe("migrate with returnSummary", () => {
  it("returns the summary of the history as readHistory reads it after the run, applying or not", async () => {
    scratch.files({
      "1_first.sql": sql("CREATE TABLE t (id int);"),
      "2_second.sql": sql("INSERT INTO t VALUES (1);"),
    });
    const applied = await migrate(opts({ returnSummary: true }));
    expect((await rows()).map((h) => [h.version, h.name, h.appliedBy])).toEqual([
      ["1", "first", "tester"],
      ["2", "second", "tester"],
    ]);
    expect(applied.summary).toEqual(summaryOf(await rows()));

    const noop = await migrate(opts({ returnSummary: true }));
    expect(noop.applied).toEqual([]);
    expect(noop.summary).toEqual(summaryOf(await rows()));
  });

  it("returns no summary without the option", async () => {
    scratch.files({ "1_first.sql": sql("CREATE TABLE t (id int);") });
    expect((await migrate(opts())).summary).toBeUndefined();
    expect(summaryReads).not.toHaveBeenCalled();
  });

  it("sums up the rows it read when the comparison finds nothing pending, asking nothing more", async () => {
    scratch.files({
      "1_first.sql": sql("CREATE TABLE t (id int);"),
      "2_second.sql": sql("INSERT INTO t VALUES (1);"),
    });
    await migrate(opts({ targetVersion: "1" }));
    rowReads.mockClear();
    // A target version skips the digest: the run compares, finds nothing up to 1 pending, and stops.
    const noop = await migrate(opts({ targetVersion: "1", returnSummary: true }));
    expect(noop.applied).toEqual([]);
    expect(rowReads).toHaveBeenCalledTimes(1);
    expect(summaryReads).not.toHaveBeenCalled();
    expect(noop.summary).toEqual(summaryOf(await rows()));
    expect(noop.summary?.newest).toBe("1");
  });

  it("asks the server for the summary after applying and after the digest's answer, where it read no rows since", async () => {
    scratch.files({ "1_first.sql": sql("CREATE TABLE t (id int);") });
    // Applying: the rows for the comparison and the re-check under the lock, then the summary.
    expect((await migrate(opts({ returnSummary: true }))).summary?.newest).toBe("1");
    expect(rowReads).toHaveBeenCalledTimes(2);
    expect(summaryReads).toHaveBeenCalledTimes(1);
    rowReads.mockClear();
    summaryReads.mockClear();
    // Up to date by the digest: no rows read, only the summary.
    expect((await migrate(opts({ returnSummary: true }))).summary?.count).toBe(1);
    expect(rowReads).not.toHaveBeenCalled();
    expect(summaryReads).toHaveBeenCalledTimes(1);
  });
});
