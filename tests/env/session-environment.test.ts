/**
 * Sessions the project opens start from a known state whatever the caller's environment holds
 * (issue 30, item 4): PGOPTIONS (`-c search_path=... -c timezone=...`), PGTZ, PGDATESTYLE and the
 * like reach neither the command's sessions, nor the engine's as the migration component calls it,
 * nor the app pool's. With them set, a migration builds its objects where it does without them and
 * sees the server's own settings, and the pool's sessions do too.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openPool } from "../../src/app";
import { DEFAULT_STATEMENT_TIMEOUT, migrate } from "../../src/migrate";
import { useTestDatabase } from "../app/support";
import { withAdmin } from "../helpers/pg";
import { dbEnv, runCli, scratchMigrations, sql } from "../migrate/helpers";

/** What a hostile or careless caller's environment holds. */
const CALLER = {
  PGOPTIONS: "-c search_path=elsewhere -c timezone=Pacific/Chatham -c datestyle=SQL,DMY -c statement_timeout=1234",
  PGTZ: "Pacific/Chatham",
  PGDATESTYLE: "SQL, DMY",
  PGCLIENTENCODING: "LATIN1",
};

const SETTINGS =
  "SELECT current_setting('search_path') AS search_path, current_setting('TimeZone') AS timezone, " +
  "current_setting('DateStyle') AS datestyle, current_setting('statement_timeout') AS statement_timeout";

/** The server's own settings, as a session opened with a clean environment sees them. */
let server: Record<string, string>;
beforeAll(async () => {
  server = (await withAdmin((c) => c.query(SETTINGS))).rows[0];
  expect(server.search_path).toBe('"$user", public');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const s = scratchMigrations("sessenv");
const files = () => ({
  "1_elsewhere.sql": sql("CREATE SCHEMA elsewhere;"),
  "2_seen.sql": sql(`CREATE TABLE seen AS ${SETTINGS};`),
});
/** The server's settings, and the engine's own statement timeout (a migration runs under it). */
const asMigrationSees = () => ({ schema: "public", ...server, statement_timeout: DEFAULT_STATEMENT_TIMEOUT });
async function seenByMigration(): Promise<unknown> {
  const r = await s.query(
    "SELECT n.nspname AS schema, s.* FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, public.seen s WHERE c.relname = 'seen'",
  );
  return r.rows;
}

describe("the caller's libpq environment does not reach the project's sessions", () => {
  it("the engine, as the migration component calls it in its process", async () => {
    s.files(files());
    for (const [k, v] of Object.entries(CALLER)) vi.stubEnv(k, v);
    await migrate(s.opts());
    vi.unstubAllEnvs();
    expect(await seenByMigration()).toEqual([asMigrationSees()]);
  });

  it("the precog-db command", async () => {
    const dir = s.files(files());
    const r = await runCli(["migrate", "--dir", dir], { ...dbEnv(s.db), PRECOG_ENV: "dev", ...CALLER });
    expect(r.code, r.stderr).toBe(0);
    expect(await seenByMigration()).toEqual([asMigrationSees()]);
  });
});

describe("the caller's libpq environment does not reach the app pool's sessions", () => {
  const db = useTestDatabase();
  it("every connection of the pool starts with the server's settings", async () => {
    for (const [k, v] of Object.entries(CALLER)) vi.stubEnv(k, v);
    const pool = await openPool({ envFile: false, env: { ...db.current.vars(), DB_POOL_MIN_CONN: "2" } });
    try {
      const seen = await Promise.all([pool.query(SETTINGS), pool.query(SETTINGS), pool.query(SETTINGS)]);
      expect(seen.map((r) => r.rows[0])).toEqual([server, server, server]);
    } finally {
      await pool.end();
    }
  });
});
