/**
 * Correctness under load (not timed; bench/pool/stress.ts prints the figures): with pool max N and
 * 10N concurrent queries, every query succeeds and the server never sees more than N connections
 * from the pool, sampled from pg_stat_activity by a separate superuser connection throughout.
 */
import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { openPool } from "../../src/app";
import { clientConfig } from "../helpers/pg";
import { appName, useTestDatabase } from "./support";

const db = useTestDatabase({ appConnectionLimit: 60 });

describe.each([1, 5, 12])("pool max %i under 10x concurrent queries", (max) => {
  it("runs every query and never exceeds max connections", async () => {
    const name = appName(`load${max}`);
    const pool = await openPool({
      envFile: false,
      env: { ...db.current.vars(), DB_POOL_MIN_CONN: "0", DB_POOL_MAX_CONN: String(max), DB_APPLICATION_NAME: name },
    });
    const sampler = new Client(clientConfig());
    await sampler.connect();
    let running = true;
    let maxSeen = 0;
    let samples = 0;
    let maxClients = 0;
    const sampling = (async () => {
      while (running) {
        const r = await sampler.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
          [name],
        );
        maxSeen = Math.max(maxSeen, r.rows[0].n);
        maxClients = Math.max(maxClients, pool.totalCount);
        samples += 1;
      }
    })();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 * max }, (_, i) =>
          pool.query<{ i: number }>("SELECT $1::int AS i, pg_sleep(0.02)", [i]),
        ),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      expect(ok.map((r) => r.value.rows[0].i)).toEqual(Array.from({ length: 10 * max }, (_, i) => i));
    } finally {
      running = false;
      await sampling;
      await sampler.end();
      await pool.end();
    }
    expect(samples).toBeGreaterThan(5);
    // Exactly max: the sampler did see the pool at full size, so "at most" is not vacuous.
    expect(maxSeen).toBe(max);
    expect(maxClients).toBe(max);
  });
});
