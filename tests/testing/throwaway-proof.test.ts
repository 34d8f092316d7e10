/**
 * Issue 30, item 5: a name is no proof. `cleanSlate` and a `dangerousOperation` run only on a
 * database carrying the marker a dev or test stack writes (src/env/database-marker.ts), or one the
 * test configuration opts in by name; otherwise they refuse, naming the database and what they saw.
 * Real PostgreSQL: databases made here by the superuser, with and without the marker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dangerousOperation, openPool } from "../../src/app";
import { markerSql, THROWAWAY_OPT_IN } from "../../src/env/database-marker";
import { cleanSlate } from "../../src/testing";
import { withClient } from "../../testbed/client";
import { adminConfig, createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";

const TABLE = "CREATE TABLE positions (id bigserial PRIMARY KEY); INSERT INTO positions DEFAULT VALUES;";
const made: Record<"latest" | "unmarkedTest" | "prodMarkedTest" | "markedTest", string> = {
  latest: "",
  unmarkedTest: "",
  prodMarkedTest: "",
  markedTest: "",
};

beforeAll(async () => {
  made.latest = await createScratchDatabase("precog_latest"); // "contains test": selects test by name
  made.unmarkedTest = await createScratchDatabase("precog_test_unmarked");
  made.prodMarkedTest = await createScratchDatabase("precog_test_restored");
  made.markedTest = await createScratchDatabase("precog_test_marked");
  for (const db of Object.values(made)) await withAdmin((c) => c.query(TABLE), db);
  await withAdmin((c) => c.query(markerSql("prod")), made.prodMarkedTest);
  await withAdmin((c) => c.query(markerSql("test")), made.markedTest);
});

afterAll(async () => {
  for (const db of Object.values(made)) if (db !== "") await dropDatabase(db);
});

afterEach(() => {
  delete process.env[THROWAWAY_OPT_IN];
});

const rows = (db: string) =>
  withAdmin(async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM positions")).rows[0].n, db);

const asAdmin = <T>(db: string, fn: Parameters<typeof withClient<T>>[1]) =>
  withClient<T>({ ...adminConfig(), database: db }, fn);

const wipe = dangerousOperation("delete_all_positions", async (pool: { query(sql: string): Promise<unknown> }) => {
  await pool.query("DELETE FROM positions");
  return "wiped";
});

describe("cleanSlate needs proof, not a name", () => {
  it("refuses a database whose name contains test but that carries no marker, naming what it saw", async () => {
    await expect(asAdmin(made.latest, (c) => cleanSlate(c))).rejects.toThrow(
      `Refusing to run test fixtures on database "${made.latest}": it has no marker (no function public.precog_environment(), ` +
        "which a dev or test stack writes), so nothing proves it is a dev or test database (its name alone does not). " +
        `Use a database a dev or test stack made; for a database no stack made, opt in with ${THROWAWAY_OPT_IN}=${made.latest} ` +
        "in the test configuration's environment.",
    );
    await expect(asAdmin(made.unmarkedTest, (c) => cleanSlate(c))).rejects.toThrow("it has no marker");
    expect(await rows(made.latest)).toBe(1);
    expect(await rows(made.unmarkedTest)).toBe(1);
  });

  it("refuses a test-named database marked as prod's (a restored copy), even when opted in", async () => {
    process.env[THROWAWAY_OPT_IN] = made.prodMarkedTest;
    await expect(asAdmin(made.prodMarkedTest, (c) => cleanSlate(c))).rejects.toThrow(
      `Refusing to run test fixtures on database "${made.prodMarkedTest}": its marker public.precog_environment() says prod, ` +
        "so nothing proves it is a dev or test database (its name alone does not). Use a database a dev or test stack made.",
    );
    expect(await rows(made.prodMarkedTest)).toBe(1);
  });

  it("runs on a marked test database, and on an unmarked one the test configuration opts in by name", async () => {
    expect(await asAdmin(made.markedTest, (c) => cleanSlate(c))).toEqual(["public.positions"]);
    process.env[THROWAWAY_OPT_IN] = `${made.unmarkedTest}_other`;
    await expect(asAdmin(made.unmarkedTest, (c) => cleanSlate(c))).rejects.toThrow("it has no marker");
    process.env[THROWAWAY_OPT_IN] = made.unmarkedTest;
    expect(await asAdmin(made.unmarkedTest, (c) => cleanSlate(c))).toEqual(["public.positions"]);
    expect(await rows(made.unmarkedTest)).toBe(0);
  });
});

describe("a dangerous operation needs proof, not a name", () => {
  it("refuses a pool on precog_latest (dev by default, test by name), leaving its rows", async () => {
    const { host, port, user, password } = adminConfig();
    const pool = await openPool({
      envFile: false,
      env: { DB_HOST: host, DB_PORT: String(port), DB_USER: user, DB_PASSWORD: password, DB_NAME: made.latest },
      logger: { warn: () => undefined },
    });
    try {
      await expect(wipe(pool)).rejects.toThrow(
        `Refusing to run delete_all_positions on database "${made.latest}": it has no marker`,
      );
      expect(await rows(made.latest)).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("runs on a marked test database", async () => {
    await withAdmin((c) => c.query("INSERT INTO positions DEFAULT VALUES"), made.markedTest);
    await expect(asAdmin(made.markedTest, (c) => wipe(c))).resolves.toBe("wiped");
    expect(await rows(made.markedTest)).toBe(0);
  });
});
