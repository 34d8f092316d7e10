/**
 * The adapter that tells which statements of one message completed (src/migrate/pg-batch.ts)
 * leans on pg's internal dispatch to a Submittable's handle* methods: held here to the pg version
 * that package-lock.json installs, and exercised against the real server.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PG_CHECKED, runBatch } from "../../src/migrate/pg-batch";
import { clientConfig, createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { REPO } from "./helpers";

let db: string;
beforeAll(async () => {
  db = await createScratchDatabase("batch");
});
afterAll(async () => {
  await dropDatabase(db);
});
const batch = (text: string) => withAdmin((c) => runBatch(c, text, "cap"), db);
const codeOf = (e: Error | undefined) => (e as { code?: string } | undefined)?.code;

describe("runBatch, the adapter over pg", () => {
  it("was checked against the pg version the lock file installs", () => {
    const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8"));
    const installed = JSON.parse(readFileSync(join(REPO, "node_modules/pg/package.json"), "utf8")).version;
    // On a pg upgrade: read pg/lib/client.js's activeQuery.handle* calls against pg-batch.ts, then move PG_CHECKED.
    expect({ lock: lock.packages["node_modules/pg"].version, installed }).toEqual({
      lock: PG_CHECKED,
      installed: PG_CHECKED,
    });
  });

  it("reports every completed statement's tag, in order, and the captured column of each result that has it", async () => {
    const r = await batch(
      "BEGIN; CREATE TABLE b1 (v int); INSERT INTO b1 VALUES (1) RETURNING v AS cap; SELECT 'x' AS other; " +
        "INSERT INTO b1 VALUES (2), (3) RETURNING v * 10 AS cap; COMMIT;",
    );
    expect(r).toEqual({
      completed: ["BEGIN", "CREATE TABLE", "INSERT 0 1", "SELECT 1", "INSERT 0 2", "COMMIT"],
      captured: ["1", "20"],
      failure: undefined,
    });
  });

  it("stops at the failing statement, with the tags of those before it and no position when the server gives none", async () => {
    const r = await batch(
      "CREATE TABLE u (id int UNIQUE); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1); SELECT 1;",
    );
    expect([r.completed, codeOf(r.failure?.error), r.failure?.at]).toEqual([
      ["CREATE TABLE", "INSERT 0 1"],
      "23505",
      undefined,
    ]);
  });

  it("a syntax error rejects the whole message; its position is a string index, also after multi-byte text", async () => {
    const text = "SELECT 'é€😀' AS cap;\nSELEC 1;";
    const r = await batch(text);
    expect([r.completed, r.captured, codeOf(r.failure?.error), r.failure?.at]).toEqual([
      [],
      [],
      "42601",
      text.indexOf("SELEC 1"),
    ]);
  });

  it("fails COPY FROM STDIN and leaves the client usable", async () => {
    const after = await withAdmin(async (c) => {
      const r = await runBatch(c, "CREATE TEMP TABLE c (v int); COPY c FROM STDIN;", "cap");
      expect([r.completed, r.failure?.error.message]).toEqual([
        ["CREATE TABLE"],
        "COPY from stdin failed: COPY FROM STDIN has no data in a migration file",
      ]);
      return (await c.query("SELECT 2 AS two")).rows;
    }, db);
    expect(after).toEqual([{ two: 2 }]);
  });

  it("settles with the failure when the server ends the session mid-message", async () => {
    const c = new Client(clientConfig(db));
    c.on("error", () => undefined);
    await c.connect();
    try {
      const r = await runBatch(c, "SELECT 1; SELECT pg_terminate_backend(pg_backend_pid()); SELECT 2;", "cap");
      expect([r.completed, codeOf(r.failure?.error)]).toEqual([["SELECT 1"], "57P01"]);
    } finally {
      await c.end().catch(() => undefined);
    }
  });
});
