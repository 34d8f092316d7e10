/**
 * Migrations act as the owner role (issue 10): the migrator logs in, a member of the owner, and the
 * engine runs SET ROLE to the owner once it holds the lock and before each migration, after the
 * clean-session reset. So every object is the owner's, the history table too, even after a
 * migration that itself ran RESET ROLE or SET ROLE to another role it may become.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Connection, down, migrate } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
const roles = () => ({ owner: `${db}_owner`, migrator: `${db}_migrator`, other: `${db}_other` });
const password = "migrator-test-password";

beforeEach(async () => {
  db = await createScratchDatabase("own");
  const r = roles();
  await withAdmin(async (c) => {
    await c.query(`CREATE ROLE ${r.owner} NOLOGIN`);
    await c.query(`CREATE ROLE ${r.other} NOLOGIN`);
    await c.query(`CREATE ROLE ${r.migrator} LOGIN PASSWORD '${password}' IN ROLE ${r.owner}, ${r.other}`);
    await c.query(`GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${db} TO ${r.owner}`);
  });
  await withAdmin((c) => c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${roles().owner}`), db);
  await withAdmin((c) => c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${roles().other}`), db);
});
afterEach(async () => {
  await dropDatabase(db);
  const r = roles();
  await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${r.migrator}, ${r.owner}, ${r.other}`));
  removeDir(dir);
});

const asMigrator = () => ({ ...(connectionFor(db) as Exclude<Connection, string>), user: roles().migrator, password });
const opts = (ownerRole?: string) => ({
  connection: asMigrator(),
  dir,
  environment: "dev" as const,
  checksumCache: false as const,
  ownerRole,
});
const owners = async () =>
  (
    await withAdmin(
      (c) =>
        c.query(
          `SELECT n.nspname || '.' || c.relname AS object, pg_get_userbyid(c.relowner) AS owner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'S') AND n.nspname IN ('public', 'precog_migrations') ORDER BY 1`,
        ),
      db,
    )
  ).rows;

describe("the owner role every migration acts as", () => {
  it.each([
    ["batched", "", ""],
    ["transaction:false", "transaction:false", "transaction:false"],
  ])("is set again before each migration, after one ran RESET ROLE or SET ROLE (%s)", async (_, first, second) => {
    const r = roles();
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);\nRESET ROLE;", "DROP TABLE a;", first),
      "2_b.sql": sql(`CREATE TABLE b (id serial);\nSET ROLE ${r.other};`, "DROP TABLE b;", second),
      "3_c.sql": sql("CREATE TABLE c (id int);", "DROP TABLE c;", first),
    });
    await migrate(opts(r.owner));
    expect(await owners()).toEqual([
      { object: "precog_migrations.history", owner: r.owner },
      { object: "public.a", owner: r.owner },
      { object: "public.b", owner: r.owner },
      { object: "public.b_id_seq", owner: r.owner },
      { object: "public.c", owner: r.owner },
    ]);
    // A down section runs as the owner too: only the owner may drop its table.
    await down({ ...opts(r.owner), to: "0" });
    expect(await owners()).toEqual([{ object: "precog_migrations.history", owner: r.owner }]);
  });

  it("without it, objects are the login's: the option is what makes them the owner's", async () => {
    const r = roles();
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    await migrate(opts());
    expect(await owners()).toEqual([
      { object: "precog_migrations.history", owner: r.migrator },
      { object: "public.a", owner: r.migrator },
    ]);
  });

  it("a login that is not a member of the role gets an error that says so, and nothing is created", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    const error = await migrate(opts("pg_database_owner_not_a_role")).catch((e: Error) => e);
    expect(String(error)).toContain(`Cannot act as pg_database_owner_not_a_role on ${roles().migrator}@`);
    expect(String(error)).toContain("the login must be a member of it");
    expect(await owners()).toEqual([]);
  });

  it("a failing statement is still named right, with the SET ROLE in the unit's session start", async () => {
    dir = migrationsDir({
      "1_a.sql": sql("CREATE TABLE a (id int);"),
      "2_b.sql": sql("CREATE TABLE b (id int);\nSELECT 1;\nINSERT INTO b VALUES (1 / 0);"),
    });
    const error = await migrate(opts(roles().owner)).catch((e: Error) => e);
    expect(String(error)).toContain("division by zero");
    expect(String(error)).toContain("INSERT INTO b VALUES (1 / 0)");
    expect(String(error)).not.toContain("the server did not say which statement");
    expect(await owners()).toEqual([
      { object: "precog_migrations.history", owner: roles().owner },
      { object: "public.a", owner: roles().owner },
    ]);
  });

  it("an empty role name is refused with the option's name", async () => {
    dir = migrationsDir({ "1_a.sql": sql("CREATE TABLE a (id int);") });
    await expect(migrate(opts(""))).rejects.toThrow('ownerRole: "" is not a role name');
  });
});
