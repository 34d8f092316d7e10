import type { Client } from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { HISTORY_TABLE } from "../../src/migrate";
import { cleanSlate, deletionOrder, openTestPool, withRollback } from "../../src/testing";
import { withClient } from "../../testbed/client";
import { applyPrecogSchema } from "./precog-schema";
import { committedRows, useTestDatabase } from "./support";

const db = useTestDatabase();
let applied: string[] = [];

beforeAll(async () => {
  applied = await applyPrecogSchema(db.current);
});

/** Worked out by hand from migrations/*.sql: each table before every table it references. */
const PRECOG_ORDER = [
  "public.market_history",
  "public.trades",
  "public.positions",
  "public.markets",
  "public.strategies",
  "public.models",
];

function asApp<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient(db.current.config(), fn);
}

/** One row in every table, linked through every foreign key. */
const SEED = `
  WITH m AS (INSERT INTO markets (venue, external_id, title) VALUES ('kalshi', 'RAIN-25', 'Rain?') RETURNING id),
       h AS (INSERT INTO market_history (market_id, recorded_at, yes_price) SELECT id, now(), 0.4 FROM m),
       md AS (INSERT INTO models (name, version, model_type) VALUES ('elo', 1, 'logistic') RETURNING id),
       s AS (INSERT INTO strategies (name, version, model_id) SELECT 'edge', 1, id FROM md RETURNING id),
       p AS (INSERT INTO positions (market_id, strategy_id, side, quantity) SELECT m.id, s.id, 'yes', 10 FROM m, s RETURNING id, market_id, strategy_id)
  INSERT INTO trades (position_id, market_id, strategy_id, model_id, action, side, quantity, price)
  SELECT p.id, p.market_id, p.strategy_id, md.id, 'buy', 'yes', 10, 0.4 FROM p, md`;

describe("Precog's schema", () => {
  it("is applied by the migration engine as the owner", () => {
    expect(applied.length).toBeGreaterThanOrEqual(5);
  });

  it("gets a deletion order from the catalog that matches the foreign keys", async () => {
    const order = await asApp((c) => deletionOrder(c));
    expect(order).toEqual(PRECOG_ORDER);
    // Independently of the hand-worked list: every foreign key's table comes before its target.
    const fks = await asApp((c) =>
      c.query<{ child: string; parent: string }>(
        `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
          WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid`,
      ),
    );
    expect(fks.rows.length).toBeGreaterThanOrEqual(8);
    for (const { child, parent } of fks.rows) {
      expect(order.indexOf(`public.${child}`), `${child} -> ${parent}`).toBeLessThan(order.indexOf(`public.${parent}`));
    }
  });

  it("is emptied by cleanSlate as the app role, leaving the migration history", async () => {
    const history = await committedRows(db.current, HISTORY_TABLE);
    expect(history).toBe(applied.length);
    await asApp((c) => c.query(SEED));
    expect(await committedRows(db.current, "trades")).toBe(1);
    expect(await asApp((c) => cleanSlate(c))).toEqual(PRECOG_ORDER);
    for (const t of ["markets", "market_history", "models", "strategies", "positions", "trades"]) {
      expect(await committedRows(db.current, t), t).toBe(0);
    }
    expect(await committedRows(db.current, HISTORY_TABLE)).toBe(history);
  });

  it("takes a whole trade graph inside withRollback and leaves nothing", async () => {
    const pool = await openTestPool({ envFile: false, env: db.current.vars() });
    try {
      const n = await withRollback(pool, async (c) => {
        await c.query(SEED);
        return (await c.query("SELECT count(*)::int AS n FROM trades")).rows[0].n;
      });
      expect(n).toBe(1);
      expect(await committedRows(db.current, "markets")).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
