/**
 * Which login precog-db migrates as (src/cli/migration-login.ts), against real PostgreSQL: the
 * migration login from DB_MIGRATION_USER / DB_MIGRATION_PASSWORD in place of DB_USER, and the app
 * and read-only roles refused, by variable or URL, before anything connects.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createScratchDatabase, databaseUrl, dropDatabase, withAdmin } from "../helpers/pg";
import { dbEnv, migrationsDir, removeDir, runCli, sql } from "../migrate/helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("login");
  dir = migrationsDir({ "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;") });
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const owners = async () =>
  (await withAdmin((c) => c.query("SELECT tableowner FROM pg_tables WHERE tablename = 't'"), db)).rows;

describe("precog-db's migration login", () => {
  it("logs in as DB_MIGRATION_USER with DB_MIGRATION_PASSWORD, not as DB_USER", async () => {
    const admin = dbEnv(db);
    const r = await runCli(["migrate", "--dir", dir], {
      ...admin,
      PRECOG_ENV: "dev",
      DB_USER: "precog_dev_user",
      DB_PASSWORD: "not-the-app-password",
      DB_MIGRATION_USER: admin.DB_USER,
      DB_MIGRATION_PASSWORD: admin.DB_PASSWORD,
    });
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("  1/1 0001_t (")]);
    expect(await owners()).toEqual([{ tableowner: admin.DB_USER }]);
  });

  it("as the environment's migrator, acts as its owner role: the table is the owner's", async () => {
    const [owner, migrator] = [`${db}_owner`, `${db}_migrator`];
    await withAdmin(async (c) => {
      await c.query(`CREATE ROLE ${owner} NOLOGIN`);
      await c.query(`CREATE ROLE ${migrator} LOGIN PASSWORD 'migrator-pw' IN ROLE ${owner}`);
      await c.query(`GRANT CONNECT, CREATE ON DATABASE ${db} TO ${owner}`);
    });
    await withAdmin((c) => c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${owner}`), db);
    try {
      const r = await runCli(["migrate", "--dir", dir], {
        ...dbEnv(db),
        PRECOG_ENV: "dev",
        DB_MIGRATION_USER: migrator,
        DB_MIGRATION_PASSWORD: "migrator-pw",
      });
      expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("  1/1 0001_t (")]);
      expect(await owners()).toEqual([{ tableowner: owner }]);
    } finally {
      await dropDatabase(db);
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${migrator}, ${owner}`));
    }
  });

  it("refuses the app and the read-only role, naming the variable and what to set, before connecting", async () => {
    // The role names follow the database's (precog_dev_readonly); the refusal comes before any connection.
    const admin = { ...dbEnv(db), DB_NAME: "precog_dev" };
    const asApp = await runCli(["migrate", "--dir", dir], { ...admin, PRECOG_ENV: "dev", DB_USER: "precog_dev_user" });
    const asReadonly = await runCli(["migrate", "--dir", dir], {
      ...admin,
      PRECOG_ENV: "dev",
      DB_MIGRATION_USER: "precog_dev_readonly",
      DB_MIGRATION_PASSWORD: "x",
    });
    const url = new URL(databaseUrl(db));
    url.username = "precog_test_user";
    url.pathname = "/precog_test";
    const byUrl = await runCli(["status", "--dir", dir, "--database-url", url.toString()], { PRECOG_ENV: "test" });
    const advice =
      "Log in as precog_dev_migrator, which acts as it: set DB_MIGRATION_USER and DB_MIGRATION_PASSWORD (the .env.dev that scripts/up.sh writes carries both), or pass --database-url with its login.\n";
    expect([asApp.code, asApp.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: Refusing to apply migrations as precog_dev_user (from DB_USER), the app role of dev: migrations create objects as precog_dev_owner, which gives the app and read-only roles their rights on them. " +
          advice,
      ),
    ]);
    expect([asReadonly.code, asReadonly.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: Refusing to apply migrations as precog_dev_readonly (from DB_MIGRATION_USER), the read-only role of dev",
      ),
    ]);
    expect([byUrl.code, byUrl.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: Refusing to read migration status as precog_test_user (from --database-url), the app role of test",
      ),
    ]);
  });

  it("DB_MIGRATION_PASSWORD without DB_MIGRATION_USER is an error naming both", async () => {
    const r = await runCli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev", DB_MIGRATION_PASSWORD: "x" });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        "precog-db: DB_MIGRATION_PASSWORD is set without DB_MIGRATION_USER: set the migration login's user too, or unset both.",
      ),
    ]);
    expect(await owners()).toEqual([]);
  });
});
