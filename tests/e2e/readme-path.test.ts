/**
 * The README's path from a fresh project copy, through the real engine: deploy dev, write `.env.dev`
 * (scripts/env-file.ts, as scripts/up.sh does), add a migration, run `precog-db migrate` with that
 * file loaded into the shell. Every table is the owner's, readable and writable by the app role and
 * readable (only) by the read-only role, as the database says.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import { asRole, withAdmin } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject } from "../../testbed/pulumi-project";
import { BIN } from "../migrate/helpers";

const MINUTES = 60_000;
let project: PulumiProject;
let cluster: LocalCluster;

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev"]));
}, 20 * MINUTES);

afterAll(() => closeSuite(project, cluster));

describe("the README's path: deploy dev, then precog-db migrate with .env.dev", () => {
  it(
    "leaves every table the owner's (the migrator logs in and acts as it), read and written by the app role, read by the read-only role",
    async () => {
      await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
      const written = spawnSync("node", ["dist/pulumi/scripts/env-file.js", "dev"], {
        cwd: project.dir,
        env: project.environment(),
        encoding: "utf8",
      });
      expect([written.status, written.stderr]).toEqual([0, ""]);
      const envFile = join(project.dir, ".env.dev");
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const out = await project.outputs("dev", true);
      const text = readFileSync(envFile, "utf8");
      expect(text).toContain("DB_USER=precog_dev_user\n");
      expect(text).toContain("DB_MIGRATION_USER=precog_dev_migrator\n");
      expect(text).toContain(`DB_MIGRATION_PASSWORD=${out.credentials.migrator.password}\n`);

      // dev's up applied every committed file, so the command line gets one of its own.
      writeFileSync(
        join(project.dir, "migrations", "0006_readme_notes.sql"),
        "-- migrate:up\nCREATE TABLE readme_notes (id bigserial PRIMARY KEY, body text NOT NULL);\n\n-- migrate:down\nDROP TABLE readme_notes;\n",
      );
      const migrated = spawnSync("bash", ["-c", `set -a; . ./.env.dev; set +a; exec node ${BIN} migrate`], {
        cwd: project.dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PRECOG_OPERATOR: "readme-path" },
        encoding: "utf8",
      });
      expect([migrated.status, migrated.stderr]).toEqual([0, expect.stringContaining("1/1 0006_readme_notes (")]);
      expect(migrated.stdout + migrated.stderr).not.toContain(out.credentials.migrator.password);

      const tables = await withAdmin(
        async (c) =>
          (
            await c.query(
              `select tablename, tableowner,
                      has_table_privilege('precog_dev_user', 'public.' || quote_ident(tablename), 'SELECT,INSERT,UPDATE,DELETE') as app,
                      has_table_privilege('precog_dev_readonly', 'public.' || quote_ident(tablename), 'SELECT') as reads,
                      has_table_privilege('precog_dev_readonly', 'public.' || quote_ident(tablename), 'INSERT,UPDATE,DELETE') as writes
                 from pg_tables where schemaname = 'public' order by 1`,
            )
          ).rows,
        "precog_dev",
      );
      expect(tables.map((t) => t.tablename)).toContain("readme_notes");
      for (const t of tables)
        expect({ ...t, tablename: t.tablename }).toEqual({
          tablename: t.tablename,
          tableowner: "precog_dev_owner",
          app: true,
          reads: true,
          writes: false,
        });
      // Through the roles' own logins, on the new table: its sequence is the app's to use too.
      await asRole("precog_dev_user", out.credentials.app.password, "precog_dev", async (c) => {
        await c.query("insert into readme_notes (body) values ('written by the app')");
        await c.query("update readme_notes set body = 'updated by the app'");
      });
      const read = await asRole("precog_dev_readonly", out.credentials.readonly.password, "precog_dev", (c) =>
        c.query("select body from readme_notes"),
      );
      expect(read.rows).toEqual([{ body: "updated by the app" }]);
    },
    15 * MINUTES,
  );
});
