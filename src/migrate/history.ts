/**
 * The history table, `precog_migrations.history`: one row per applied migration. It lives in its
 * own schema so the application's truncate-everything test helpers (which walk `public`) leave it
 * alone, and so `validate` can tell migration bookkeeping from the application's schema.
 */

import { createHash } from "node:crypto";
import type { Client } from "pg";
import { type LedgerSummary, RECENT, summaryOf } from "./ledger-summary";
import { LOCK_CHECK_PLPGSQL, requirePg } from "./pg";

export const HISTORY_SCHEMA = "precog_migrations";
export const HISTORY_TABLE = `${HISTORY_SCHEMA}.history`;

/**
 * The history oldest first, for every query that orders it: by the bigint column, named with its
 * table so that an output column `version::text AS version` cannot take its place (PostgreSQL binds
 * a bare ORDER BY name to an output column first, and text order puts "10" before "9").
 */
export const HISTORY_OLDEST_FIRST = `ORDER BY ${HISTORY_TABLE}.version`;

/** One applied migration, as recorded. */
export interface HistoryRow {
  /** The version as a decimal string without padding ("3" for 0003_x.sql). */
  readonly version: string;
  readonly name: string;
  /** sha256 hex of the up section that was applied. */
  readonly checksum: string;
  readonly appliedBy: string;
  /** ISO 8601 UTC. */
  readonly appliedAt: string;
  readonly durationMs: number;
}

/** A history row as the engine works with it: the version also as a number, parsed once as it is read. */
export interface AppliedRow extends HistoryRow {
  readonly order: bigint;
}

/** The row as callers of the library see it (plain data, JSON-safe: no bigint). */
export function toHistoryRow({ order: _order, ...row }: AppliedRow): HistoryRow {
  return row;
}

/** Milliseconds since the unit began (apply.ts sets precog.started), as the server sees it. */
const SERVER_DURATION =
  "GREATEST(0, round(extract(epoch FROM pg_catalog.clock_timestamp() - pg_catalog.current_setting('precog.started')::timestamptz) * 1000))::int";

/**
 * The function that records an applied migration, made with the history table (one version per
 * definition: a later definition gets a new name, so an existing one is never replaced, which
 * only its owner could do). It runs the migration lock check (pg.ts) and then the INSERT: one
 * statement in each migration's transaction instead of a DO block and an INSERT, and the server
 * keeps both plans for the session instead of planning them for every migration.
 */
export const RECORD_FUNCTION = `${HISTORY_SCHEMA}.record_v1`;

const CREATE = `
CREATE SCHEMA IF NOT EXISTS ${HISTORY_SCHEMA};
CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  version     bigint      PRIMARY KEY CHECK (version >= 0),
  name        text        NOT NULL,
  checksum    text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_by  text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms integer     NOT NULL CHECK (duration_ms >= 0)
);
COMMENT ON TABLE ${HISTORY_TABLE} IS 'Applied schema migrations, written by precog-db; do not edit by hand.';
DO $precog$ BEGIN
  IF pg_catalog.to_regprocedure('${RECORD_FUNCTION}(bigint, text, text, text, integer)') IS NULL THEN
    CREATE FUNCTION ${RECORD_FUNCTION}(p_version bigint, p_name text, p_checksum text, p_applied_by text, p_duration_ms integer)
      RETURNS integer LANGUAGE plpgsql AS $fn$
    DECLARE held boolean; recorded integer;
    BEGIN
      ${LOCK_CHECK_PLPGSQL}
      INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_by, duration_ms)
        VALUES (p_version, p_name, p_checksum, p_applied_by, coalesce(p_duration_ms, ${SERVER_DURATION}))
        RETURNING duration_ms INTO recorded;
      RETURN recorded;
    END $fn$;
    COMMENT ON FUNCTION ${RECORD_FUNCTION}(bigint, text, text, text, integer) IS 'Checks that precog-db still holds the migration lock, then records a migration; called by precog-db.';
  END IF;
END $precog$;`;

/** Creates the schema and table if missing. Call with the migration lock held. */
export async function ensureHistoryTable(client: Client): Promise<void> {
  await client.query(CREATE);
}

/** Every applied migration in version order, or an empty list when the table does not exist yet. One query. */
export async function readHistoryRows(client: Client): Promise<AppliedRow[]> {
  return unlessNoTable([], async () => {
    const r = await client.query(
      `SELECT version::text AS version, name, checksum, applied_by, applied_at, duration_ms
         FROM ${HISTORY_TABLE} ${HISTORY_OLDEST_FIRST}`,
    );
    return r.rows.map((row) => ({
      version: row.version,
      order: BigInt(row.version),
      name: row.name,
      checksum: row.checksum,
      appliedBy: row.applied_by,
      appliedAt: new Date(row.applied_at).toISOString(),
      durationMs: row.duration_ms,
    }));
  });
}

/** `read`'s answer, or `none` when the history's schema or table does not exist: nothing applied yet. */
async function unlessNoTable<T>(none: T, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    // 3F000: schema missing, 42P01: table missing.
    if (code === "3F000" || code === "42P01") return none;
    throw cause;
  }
}

/**
 * The whole history in one short row: how many migrations are applied and an md5 over each one's
 * `version name checksum` line in version order. The no-op run compares it with the same digest
 * of the files, so it neither transfers nor parses a row per migration. Null when the table does
 * not exist yet.
 */
export async function readHistoryDigest(client: Client): Promise<{ count: number; digest: string } | null> {
  return unlessNoTable(null, async () => {
    const r = await client.query(
      `SELECT count(*)::int AS count, md5(coalesce(string_agg(version::text || ' ' || name || ' ' || checksum, E'\\n' ${HISTORY_OLDEST_FIRST}), '')) AS digest
         FROM ${HISTORY_TABLE}`,
    );
    return r.rows[0];
  });
}

/**
 * The history's summary (./ledger-summary.ts: count, newest, digest, the newest RECENT listed, the
 * older ones' digest), computed by the server in one row: what a caller that records the ledger
 * (the Pulumi component) reads after an apply, without a row per migration to transfer and parse.
 * The same as `summaryOf` of every row (tests/migrate/return-summary.test.ts): the same lines,
 * `<version> <checksum>` oldest first, the same sha256. The summary of none when the table does
 * not exist yet. (The ORDER BYs are inside an aggregate and a window, where a name is the
 * subquery's bigint column, never an output column: HISTORY_OLDEST_FIRST is for a query's own.)
 */
export async function readHistorySummary(client: Client): Promise<LedgerSummary> {
  const lines = (filter: string) =>
    `coalesce(pg_catalog.string_agg(h.version::text || ' ' || h.checksum, E'\\n' ORDER BY h.version)${filter}, '')`;
  const sha256 = (text: string) =>
    `pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(${text}, 'UTF8')), 'hex')`;
  return unlessNoTable(summaryOf([]), async () => {
    const r = await client.query(
      `SELECT pg_catalog.count(*)::int AS count, pg_catalog.max(h.version)::text AS newest, ${sha256(lines(""))} AS digest,
              ${lines(` FILTER (WHERE back <= ${RECENT})`)} AS recent,
              ${sha256(lines(` FILTER (WHERE back > ${RECENT})`))} AS older
         FROM (SELECT version, checksum, pg_catalog.row_number() OVER (ORDER BY version DESC) AS back FROM ${HISTORY_TABLE}) h`,
    );
    const { count, newest, digest, recent, older } = r.rows[0];
    return { count, newest, digest, recent, olderDigest: older };
  });
}

/** The digest `readHistoryDigest` would return if exactly `entries` (in version order) were applied. */
export function historyDigest(entries: readonly { order: bigint; name: string; checksum: string }[]): string {
  return createHash("md5")
    .update(entries.map((e) => `${e.order} ${e.name} ${e.checksum}`).join("\n"))
    .digest("hex");
}

/**
 * The INSERT that records a migration, as text so it can travel in the same round trip as the
 * migration itself. Without `durationMs` the server measures it from the unit's start inside its
 * transaction, so it covers exactly the work that was committed; transaction:false migrations pass
 * the duration the runner measured on the client, as no single transaction spans them.
 */
export function recordSql(
  m: { order: bigint; name: string; checksum: string },
  appliedBy: string,
  durationMs?: number,
): string {
  const duration = durationMs !== undefined ? String(Math.max(0, Math.round(durationMs))) : "NULL";
  // Loaded by then: this runs only on a connection.
  const { escapeLiteral } = requirePg();
  return (
    `SELECT ${RECORD_FUNCTION}(${m.order.toString()}, ${escapeLiteral(m.name)}, '${m.checksum}', ` +
    `${escapeLiteral(appliedBy)}, ${duration}) AS ${RECORDED_DURATION}`
  );
}

/** The column `recordSql`'s INSERT returns the recorded duration in. */
export const RECORDED_DURATION = "precog_applied_ms";

/** The DELETE that forgets a migration when its down section runs. */
export function forgetSql(order: bigint): string {
  return `DELETE FROM ${HISTORY_TABLE} WHERE version = ${order.toString()}`;
}
