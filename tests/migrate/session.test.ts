/**
 * Each migration starts from a clean session (issue 9, item 6): a `SET` without LOCAL, a role, a
 * temporary table or a prepared statement left by one migration does not reach the next one of the
 * same run, batched or `transaction:false`, so the same files build the same schema however many
 * run together.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, readHistory } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { connectionFor, migrationsDir, removeDir, sql } from "./helpers";

let db: string;
let dir: string;
beforeEach(async () => {
  db = await createScratchDatabase("sess");
});
afterEach(async () => {
  await dropDatabase(db);
  removeDir(dir);
});
const opts = () => ({ connection: connectionFor(db), dir, environment: "dev" as const, checksumCache: false as const });
const query = (text: string) => withAdmin((c) => c.query(text), db);

describe("session state between migrations of one run", () => {
  it.each([
    ["batched", "", ""],
    ["transaction:false next", "", "transaction:false"],
    ["transaction:false first", "transaction:false", ""],
  ])("a SET search_path in one file does not move the next file's tables (%s)", async (_, first, second) => {
    dir = migrationsDir({
      "1_other.sql": sql("CREATE SCHEMA other;\nSET search_path = other;\nSET timezone = 'Asia/Tokyo';", "", first),
      "2_t.sql": sql("CREATE TABLE t (id int, tz text DEFAULT current_setting('timezone'));", "", second),
    });
    await migrate(opts());
    expect(
      (await query("SELECT to_regclass('public.t')::text AS pub, to_regclass('other.t')::text AS oth")).rows,
    ).toEqual([{ pub: "t", oth: null }]);
    await query("INSERT INTO public.t (id) VALUES (1)");
  });

  it("a temporary table, a prepared statement and a held cursor stay with the migration that made them", async () => {
    dir = migrationsDir({
      "1_state.sql": sql(
        "CREATE TEMP TABLE shadow (id int);\nPREPARE q AS SELECT 1;\nDECLARE c CURSOR WITH HOLD FOR SELECT 1;",
      ),
      "2_use.sql": sql(
        "CREATE TABLE shadow (id int);\nINSERT INTO shadow VALUES (1);\nPREPARE q AS SELECT 2;\nDECLARE c CURSOR WITH HOLD FOR SELECT 2;",
      ),
    });
    await migrate(opts());
    expect(
      (
        await query(
          "SELECT tableowner, (SELECT count(*)::int FROM public.shadow) AS n FROM pg_tables WHERE tablename = 'shadow'",
        )
      ).rows,
    ).toEqual([{ tableowner: "postgres", n: 1 }]);
    expect((await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version)).toEqual([
      "1",
      "2",
    ]);
  });
});
