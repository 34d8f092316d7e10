/**
 * The server going away mid-run (issue 9, item 19) is told apart from a failing statement: the
 * report says the connection was lost and the file is not at fault, what is recorded, and to run
 * again, never "fix <file>". Against the run's real server, whose backend for the runner is
 * terminated (SQLSTATE 57P01) while a migration runs; the rerun then finishes the job.
 */
import { describe, expect, it } from "vitest";
import { ConnectionLostError, isConnectionLoss, migrate } from "../../src/migrate";
import { scratchMigrations, sql, waitFor } from "./helpers";

const { files, opts, versions, query } = scratchMigrations("lost");

/** Runs migrate, terminates its backend once a migration sleeps, and returns the error it threw. */
async function failureWhenTerminated(): Promise<Error> {
  const run = migrate(opts()).then(
    () => new Error("the run did not fail"),
    (err: Error) => err,
  );
  await waitFor(
    async () =>
      (
        await query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()",
        )
      ).rowCount === 1,
    20_000,
    "the slow migration to start",
  );
  return run;
}

describe("the server going away mid-run", () => {
  it("in a batch of transactional migrations: says so, with what is recorded, and the rerun finishes", async () => {
    files({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "2_slow.sql": sql("CREATE TABLE b (id int);\nSELECT pg_sleep(2);"),
      "3_c.sql": sql("CREATE TABLE c (id int);"),
    });
    const err = await failureWhenTerminated();
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(err.message.split("\n")).toEqual([
      "2_slow.sql: the connection to the server was lost while applying it: terminating connection due to administrator command (SQLSTATE 57P01).",
      "  The server went away (shut down, restarted, or ended this session), or the network did; 2_slow.sql is not at fault.",
      "  What was applied is recorded: each migration commits together with its history row in precog_migrations.history, so the table holds exactly what was done (1 migration(s) of this run confirmed before the connection was lost; 2_slow.sql and the ones after it were not, unless the server committed one before it went away).",
      "  Next: once the server is back, run the command again (precog-db status shows what is applied); it goes on from the first migration not recorded.",
    ]);
    expect(err.message).not.toMatch(/fix /);
    expect(await versions()).toEqual(["1"]);
    expect((await migrate(opts())).applied.map((a) => a.version)).toEqual(["2", "3"]);
  });

  it("in a transaction:false migration: says which statements ran and that the file will run again", async () => {
    files({
      "1_loose.sql": sql(
        "CREATE TABLE IF NOT EXISTS t (id int);\nSELECT pg_sleep(2);\nCREATE TABLE IF NOT EXISTS u (id int);",
        "",
        "transaction:false",
      ),
    });
    const err = await failureWhenTerminated();
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(err.message.split("\n").slice(1)).toEqual([
      "  The server went away (shut down, restarted, or ended this session), or the network did; 1_loose.sql is not at fault.",
      "  Not in a transaction: statements 1-1 of 3 ran and their effects remain, statement 2 of 3 was running and may have completed; 1_loose.sql is not recorded in precog_migrations.history, so the next run runs the whole file again.",
      "  Next: once the server is back, make sure its statements are safe to repeat (IF NOT EXISTS / IF EXISTS; drop any invalid index a CREATE INDEX CONCURRENTLY left), then run the command again (precog-db status shows what is applied); it goes on from the first migration not recorded.",
    ]);
    expect(await versions()).toEqual([]);
    expect((await migrate(opts())).applied.map((a) => a.version)).toEqual(["1"]);
  });

  it.each([
    [{ code: "57P01", message: "terminating connection due to administrator command" }, true],
    [{ code: "57P02", message: "terminating connection because of crash of another server process" }, true],
    [{ code: "57P03", message: "the database system is shutting down" }, true],
    [{ code: "08006", message: "connection failure" }, true],
    [{ code: "ECONNRESET", message: "read ECONNRESET" }, true],
    [{ message: "Connection terminated unexpectedly" }, true],
    [{ code: "57014", message: "canceling statement due to statement timeout" }, false],
    [{ code: "42601", message: 'syntax error at or near "Connection terminated"' }, false],
    [{ code: "23505", message: "duplicate key value violates unique constraint" }, false],
  ])("tells connection loss from statement errors: %j", (cause, lost) => {
    expect(isConnectionLoss(Object.assign(new Error(cause.message), cause))).toBe(lost);
  });
});
