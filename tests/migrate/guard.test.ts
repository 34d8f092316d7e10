/**
 * The engine's own guards, for library callers that never pass through the command: a database
 * named for another environment than the one claimed is refused by every entry point before it
 * connects (a stale PRECOG_ENV=dev must not reach precog_prod), and prod needs confirmation for
 * every entry point, not only migrate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Environment } from "../../src/env/environment";
import { down, migrate, plan, readHistory, status, validate } from "../../src/migrate";
import { createScratchDatabase, databaseUrl, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let dir: string;
const dbs: Record<"prod" | "staging", string> = { prod: "", staging: "" };
beforeAll(async () => {
  dir = migrationsDir({ "1_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;") });
  dbs.prod = await createScratchDatabase("precog_prod");
  dbs.staging = await createScratchDatabase("precog_staging");
});
afterAll(async () => {
  removeDir(dir);
  for (const db of Object.values(dbs)) if (db) await dropDatabase(db);
});

/** Every engine entry point that reaches a database, with the options a library caller would pass. */
const ENTRY_POINTS = (
  connection: ReturnType<typeof connectionFor> | string,
  environment: Environment,
  extra: object = {},
) => {
  const o = {
    connection,
    dir,
    environment,
    checksumCache: false as const,
    backupDir: "/nonexistent-backups",
    ...extra,
  };
  return {
    migrate: () => migrate(o),
    down: () => down(o),
    status: () => status(o),
    plan: () => plan(o),
    validate: () => validate(o),
    readHistory: () => readHistory(o),
  };
};
const historyExists = async (db: string) =>
  (await withAdmin((c) => c.query("SELECT to_regclass('precog_migrations.history') AS t"), db)).rows[0].t !== null;

describe("the engine refuses a database named for another environment", () => {
  it.each(["prod", "staging"] as const)(
    "environment dev against a %s database: every entry point, by object and by URL",
    async (named) => {
      const db = dbs[named];
      const message = `The environment is dev, but the target database "${db}" (the connection's database) is a ${named} database. Set PRECOG_ENV=${named} to work on it deliberately (with its guards), or point at the dev database.`;
      for (const connection of [connectionFor(db), databaseUrl(db)]) {
        for (const [name, call] of Object.entries(ENTRY_POINTS(connection, "dev"))) {
          await expect(call(), name).rejects.toThrow(new Error(message));
        }
      }
      expect(await historyExists(db)).toBe(false);
    },
  );

  it("also when the database name comes from PGDATABASE rather than the connection", async () => {
    const saved = process.env.PGDATABASE;
    process.env.PGDATABASE = dbs.prod;
    try {
      const { database: _omitted, ...rest } = connectionFor(dbs.prod) as { database: string };
      await expect(migrate({ connection: rest, dir, environment: "test", checksumCache: false })).rejects.toThrow(
        /^The environment is test, but the target database "precog_prod_\w+" \(the connection's database\) is a prod database\./,
      );
    } finally {
      if (saved === undefined) delete process.env.PGDATABASE;
      else process.env.PGDATABASE = saved;
    }
    expect(await historyExists(dbs.prod)).toBe(false);
  });
});

describe("prod confirmation in every entry point", () => {
  it("refuses each without PRECOG_PROD_CONFIRMED=yes, naming what it was about to do", async () => {
    const saved = process.env.PRECOG_PROD_CONFIRMED;
    delete process.env.PRECOG_PROD_CONFIRMED;
    try {
      const actions: Record<string, string> = {
        migrate: "apply migrations",
        down: "roll back migrations",
        status: "read migration status",
        plan: "plan migrations",
        validate: "validate the schema",
        readHistory: "read migration history",
      };
      for (const [name, call] of Object.entries(ENTRY_POINTS(connectionFor(dbs.prod), "prod"))) {
        await expect(call(), name).rejects.toThrow(
          `Refusing to ${actions[name]} on prod: PRECOG_PROD_CONFIRMED is not "yes".`,
        );
      }
      expect(await historyExists(dbs.prod)).toBe(false);
      // Confirmed, the read-only ones run.
      const confirmed = ENTRY_POINTS(connectionFor(dbs.prod), "prod", { prodConfirmed: true });
      expect(await confirmed.readHistory()).toEqual([]);
      expect((await confirmed.status()).entries).toEqual([{ version: "1", name: "t", state: "pending" }]);
    } finally {
      if (saved !== undefined) process.env.PRECOG_PROD_CONFIRMED = saved;
    }
  });
});
