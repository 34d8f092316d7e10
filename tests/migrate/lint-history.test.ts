/**
 * A pending (or named) file is linted against what the files before it built: `plan` and `migrate`
 * read the applied files for their columns' types, and `lint <file>` the files before it, so a type
 * change PostgreSQL does in place is no finding, and one it rewrites names the old type, instead of
 * a note that the check could not see it.
 */
import { describe, expect, it } from "vitest";
import { lint, migrate, plan } from "../../src/migrate";
import { migrationsDir, removeDir, scratchMigrations, sql } from "./helpers";

const CREATE = sql("CREATE TABLE t (id int, name varchar(50), n int);");
const WIDEN = sql("ALTER TABLE t ALTER COLUMN name TYPE text;\nALTER TABLE t ALTER COLUMN n TYPE text;");

describe("lint <file>", () => {
  it("judges the file against the files before it", async () => {
    const dir = migrationsDir({ "1_t.sql": CREATE, "2_widen.sql": WIDEN });
    try {
      const r = await lint(dir, { environment: "prod", only: ["2_widen.sql"] });
      expect(r.notes).toEqual([]);
      expect(r.findings.map((f) => `${f.filename}:${f.line} ${f.severity} ${f.message.split(" rewrites")[0]}`)).toEqual(
        ["2_widen.sql:3 error changing public.t.n from int4 to text"],
      );
    } finally {
      removeDir(dir);
    }
  });
});

describe("plan and migrate", () => {
  const { files, opts } = scratchMigrations("linthist");

  it("judge the pending files against the applied ones", async () => {
    files({ "1_t.sql": CREATE });
    await migrate(opts());
    files({ "1_t.sql": CREATE, "2_widen.sql": WIDEN });
    const p = await plan(opts());
    expect(p.notes).toEqual([]);
    expect(p.findings.map((f) => `${f.filename}:${f.line} ${f.message.split(" rewrites")[0]}`)).toEqual([
      "2_widen.sql:3 changing public.t.n from int4 to text",
    ]);
    const logged: string[] = [];
    await expect(
      migrate({
        ...opts(),
        lint: true,
        environment: "dev",
        log: (e) => {
          if (e.type === "warn") logged.push(e.message.split(" rewrites")[0]);
        },
      }),
    ).resolves.toMatchObject({ applied: [{ version: "2" }] });
    expect(logged).toEqual(["2_widen.sql:3:1: warning [column-type-change] changing public.t.n from int4 to text"]);
  });
});
