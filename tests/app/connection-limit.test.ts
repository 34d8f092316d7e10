/**
 * An oversubscribed role (issue 30, item 8): more instances x pool max than the role's CONNECTION
 * LIMIT. A pool refused with 53300 stops growing and waits for one of its own connections,
 * bounded, then fails naming the limit and the budget; opening warns where the budget can be
 * exceeded. Real PostgreSQL, the app role provisioned with CONNECTION LIMIT 3.
 */
import { describe, expect, it } from "vitest";
import { openPool, type PrecogPool } from "../../src/app";
import { appName, recordingLogger, serverConnections, useTestDatabase } from "./support";

const LIMIT = 3;
const db = useTestDatabase({ appConnectionLimit: LIMIT });

function vars(name: string, min: number, max: number): Record<string, string> {
  return { ...db.current.vars(), DB_APPLICATION_NAME: name, DB_POOL_MIN_CONN: `${min}`, DB_POOL_MAX_CONN: `${max}` };
}

describe("a pool at its role's CONNECTION LIMIT", () => {
  it("waits for one of its own connections instead of handing 53300 to the caller", async () => {
    const name = appName("limit-wait");
    const logger = recordingLogger();
    const pool = await openPool({ envFile: false, env: vars(name, 1, 5), logger });
    try {
      expect(pool.roleConnectionLimit).toBe(LIMIT);
      expect(logger.lines).toEqual([
        `precog-db: this pool's max of 5 connections is above the role ${db.current.app.user}'s CONNECTION LIMIT of ${LIMIT}: ` +
          "it is refused (53300) before it gets there and then waits for its own connections. Lower DB_POOL_MAX_CONN to the stack's pool.max.",
      ]);
      const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      setTimeout(() => held[0].release(), 300);
      const started = Date.now();
      const fourth = await pool.connect(); // refused by the server, then handed the released one
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect((await fourth.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      fourth.release();
      for (const c of held.slice(1)) c.release();
      expect(await serverConnections(name)).toBeLessThanOrEqual(LIMIT);
    } finally {
      await pool.end();
    }
  });

  it("keeps two oversubscribed instances serving: every query succeeds, none sees 53300", async () => {
    const names = [appName("limit-a"), appName("limit-b")];
    const logger = recordingLogger();
    const pools: PrecogPool[] = [];
    try {
      for (const name of names) pools.push(await openPool({ envFile: false, env: vars(name, 1, 3), logger }));
      const results = await Promise.allSettled(
        pools.flatMap((p) => Array.from({ length: 30 }, () => p.query("SELECT pg_sleep(0.02)"))),
      );
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(failed.map((f) => (f.reason as Error).message)).toEqual([]);
      // The second pool saw the first's connection when it opened: 1 + its max 3 > the limit.
      expect(logger.lines).toContain(
        `precog-db: the role ${db.current.app.user} has 1 connection(s) open from other processes and a CONNECTION LIMIT of ${LIMIT}; ` +
          `this pool's max of 3 can take it past the limit (instances x pool max > ${LIMIT}). ` +
          "Lower DB_POOL_MAX_CONN or the number of instances, or raise precog:pool.appInstances.",
      );
    } finally {
      for (const p of pools) await p.end();
    }
  });

  it("gives up after connectionLimitWaitMillis with an error naming the limit and the budget", async () => {
    const pool = await openPool({
      envFile: false,
      env: vars(appName("limit-bound"), 1, 5),
      logger: recordingLogger(),
      connectionLimitWaitMillis: 500,
    });
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    try {
      const started = Date.now();
      const refused = await pool.connect().catch((e: Error & { code?: string }) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(refused).toMatchObject({ code: "53300" });
      expect((refused as Error).message).toBe(
        `too many connections for role "${db.current.app.user}": ${pool.describe()} is at the role ${db.current.app.user}'s ` +
          `CONNECTION LIMIT of ${LIMIT}, and for 500 ms (connectionLimitWaitMillis) none of this pool's own 3 connection(s) came free. ` +
          "The budget: every instance's pool may open up to 5 (DB_POOL_MAX_CONN, else the stack's pool.max), and instances x that " +
          "must stay within the limit: lower DB_POOL_MAX_CONN or the number of instances, or raise precog:pool.appInstances " +
          "(the stack sets the limit from it).",
      );
    } finally {
      for (const c of held) c.release();
      await pool.end();
    }
  });
});
