/**
 * The body every demo file runs, in its own vitest worker: write the same key as every other
 * worker ("SHARED"), hold the rows while the other workers do the same, then check that this test
 * sees exactly its own rows and no one else's. With PRECOG_DEMO_ISOLATION=off the writes commit
 * instead (no fixture), which is what must make the demo fail.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientBase } from "pg";
import { expect, test } from "vitest";
import { dbTest, openTestPool, workerTag } from "../../../src/testing";

const ROWS = 5;
const HOLD_MS = 1500;
const isolated = process.env.PRECOG_DEMO_ISOLATION !== "off";

async function body(db: ClientBase, file: string): Promise<void> {
  const me = `${file}/${workerTag()}`;
  const started = Date.now();
  for (let i = 0; i < ROWS; i++) await db.query("INSERT INTO demo_rows (key, owner) VALUES ('SHARED', $1)", [me]);
  await new Promise((r) => setTimeout(r, HOLD_MS)); // the other workers write meanwhile
  const seen = await db.query<{ owner: string; n: number }>(
    "SELECT owner, count(*)::int AS n FROM demo_rows WHERE key = 'SHARED' GROUP BY owner ORDER BY owner",
  );
  appendFileSync(
    join(process.env.PRECOG_DEMO_LOG!, `${file}.json`),
    JSON.stringify({ me, started, ended: Date.now(), pid: process.pid }),
  );
  expect(seen.rows).toEqual([{ owner: me, n: ROWS }]);
}

/** Registers the demo test for one file. */
export function demo(file: string): void {
  if (isolated) {
    dbTest(test, { envFile: false })("sees only its own rows of a shared key", async ({ db }) => body(db, file));
  } else {
    test("sees only its own rows of a shared key", async () => {
      const pool = await openTestPool({ envFile: false });
      try {
        const c = await pool.connect();
        try {
          await body(c, file);
        } finally {
          c.release();
        }
      } finally {
        await pool.end();
      }
    });
  }
}
