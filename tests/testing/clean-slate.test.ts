import type { Client } from "pg";
import { describe, expect, it } from "vitest";
import { cleanSlate, deletionOrder } from "../../src/testing";
import { withClient } from "../../testbed/client";
import { asOwner, committedRows, useTestDatabase } from "./support";

/**
 * A schema shaped like Precog's, plus the awkward cases: a self-reference, a partitioned table,
 * the migration history in its own schema, and a separate schema with a foreign-key cycle.
 */
const SCHEMA = `
  CREATE SCHEMA precog_migrations;
  CREATE TABLE precog_migrations.schema_migrations (version text PRIMARY KEY);
  INSERT INTO precog_migrations.schema_migrations VALUES ('20250101000000');
  CREATE TABLE markets (id bigserial PRIMARY KEY, ticker text UNIQUE NOT NULL);
  CREATE TABLE strategies (id bigserial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE models (id bigserial PRIMARY KEY, strategy_id bigint NOT NULL REFERENCES strategies);
  CREATE TABLE positions (id bigserial PRIMARY KEY, market_id bigint NOT NULL REFERENCES markets,
    strategy_id bigint NOT NULL REFERENCES strategies, parent_id bigint REFERENCES positions);
  CREATE TABLE trades (id bigserial PRIMARY KEY, position_id bigint NOT NULL REFERENCES positions,
    market_id bigint NOT NULL REFERENCES markets);
  CREATE TABLE audit_log (at date NOT NULL, note text) PARTITION BY RANGE (at);
  CREATE TABLE audit_log_2025 PARTITION OF audit_log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE SCHEMA cyclic;
  CREATE TABLE cyclic.a (id int PRIMARY KEY, b_id int);
  CREATE TABLE cyclic.b (id int PRIMARY KEY, a_id int REFERENCES cyclic.a);
  ALTER TABLE cyclic.a ADD FOREIGN KEY (b_id) REFERENCES cyclic.b;
`;

const db = useTestDatabase(SCHEMA);

const ORDER = [
  "public.audit_log",
  "public.models",
  "public.trades",
  "public.positions",
  "public.markets",
  "public.strategies",
];

function asApp<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient(db.current.config(), fn);
}

async function seed(c: Client): Promise<void> {
  await c.query(`
    INSERT INTO markets (ticker) VALUES ('RAIN'), ('SNOW');
    INSERT INTO strategies (name) VALUES ('momentum');
    INSERT INTO models (strategy_id) SELECT id FROM strategies;
    INSERT INTO positions (market_id, strategy_id) SELECT m.id, s.id FROM markets m, strategies s;
    INSERT INTO positions (market_id, strategy_id, parent_id) SELECT market_id, strategy_id, id FROM positions;
    INSERT INTO trades (position_id, market_id) SELECT id, market_id FROM positions;
    INSERT INTO audit_log VALUES ('2025-06-01', 'seeded');`);
}

describe("deletionOrder", () => {
  it("lists referencing tables before referenced ones, from the catalog", async () => {
    expect(await asApp((c) => deletionOrder(c, { schemas: ["public"] }))).toEqual(ORDER);
  });

  it("skips the migration history even when asked for its schema, and honours keep", async () => {
    expect(
      await asApp((c) => deletionOrder(c, { schemas: ["public", "precog_migrations"], keep: ["public.audit_log"] })),
    ).toEqual(ORDER.slice(1));
  });

  it("names the tables of a foreign-key cycle", async () => {
    await expect(asApp((c) => deletionOrder(c))).rejects.toThrow(
      new Error(
        "Foreign keys form a cycle among cyclic.a, cyclic.b: no deletion order exists. " +
          'Use cleanSlate(client, { method: "truncate" }) as the owner, or make one key DEFERRABLE.',
      ),
    );
  });
});

describe("cleanSlate", () => {
  it("empties every application table as the app role (DELETE only), leaving the history", async () => {
    await asApp(seed);
    expect(await committedRows(db.current, "trades")).toBe(4);
    // Why the order matters: the app role cannot TRUNCATE, and a parent cannot go first.
    await expect(asApp((c) => c.query("DELETE FROM markets"))).rejects.toThrow(
      'update or delete on table "markets" violates foreign key constraint "positions_market_id_fkey" on table "positions"',
    );
    await expect(asApp((c) => c.query("TRUNCATE trades"))).rejects.toThrow("permission denied for table trades");

    expect(await asApp((c) => cleanSlate(c, { schemas: ["public"] }))).toEqual(ORDER);
    for (const t of ["markets", "strategies", "models", "positions", "trades", "audit_log"]) {
      expect(await committedRows(db.current, t)).toBe(0);
    }
    expect(await committedRows(db.current, "precog_migrations.schema_migrations")).toBe(1);
  });

  it("truncates in one statement and restarts identities when run as the owner", async () => {
    await asApp(seed);
    await withClient(db.current.config(db.current.owner), async (owner) => {
      expect(await cleanSlate(owner, { schemas: ["public"], method: "truncate" })).toEqual(ORDER);
      await owner.query("INSERT INTO markets (ticker) VALUES ('AGAIN')");
      expect((await owner.query("SELECT id FROM markets")).rows).toEqual([{ id: "1" }]);
      await owner.query("DELETE FROM markets");
    });
    expect(await committedRows(db.current, "precog_migrations.schema_migrations")).toBe(1);
  });

  it("wraps a failing DELETE with the table's name", async () => {
    await asOwner(
      db.current,
      "CREATE TABLE private_notes (id int); INSERT INTO private_notes VALUES (1); REVOKE ALL ON private_notes FROM " +
        db.current.app.user,
    );
    try {
      await expect(asApp((c) => cleanSlate(c, { schemas: ["public"] }))).rejects.toThrow(
        new Error("cleanSlate could not empty public.private_notes: permission denied for table private_notes"),
      );
    } finally {
      await asOwner(db.current, "DROP TABLE private_notes");
    }
  });
});
