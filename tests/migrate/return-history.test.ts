/**
 * `returnHistory`: `migrate` hands back the history as the run leaves it, read on its own
 * connection (what the Pulumi component records as its ledger), after an apply and after a no-op
 * run alike; without the option there is none.
 */
import { describe, expect, it } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import { connectionFor, scratchMigrations, sql } from "./helpers";

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
});
