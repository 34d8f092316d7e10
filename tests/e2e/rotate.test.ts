/**
 * `precog-db rotate` end to end: the real engine and the real program on the dev stack of a
 * cluster of this suite's own, the command run as an operator runs it (bin/precog-db.js in the
 * project's folder). After a rotation the old password is refused (28P01), the new one works, an
 * app pool opened before keeps serving on new connections, the next `up` and `preview` change
 * nothing, and no password shows in the command's output or the server's log (log_statement=all).
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPool, type PrecogPool } from "../../src/app";
import type { LocalCluster } from "../../testbed/local-cluster";
import { asRole, attempt, withAdmin } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject, ROOT } from "../../testbed/pulumi-project";
import { stackFacts } from "../helpers/stack-facts";

const MINUTES = 60_000;
const INVALID_PASSWORD = "28P01";
const dev = stackFacts("dev");
const migrator = `${dev.database}_migrator`;

let project: PulumiProject;
let cluster: LocalCluster;
let pool: PrecogPool | undefined;
const warnings: string[] = [];
const printed: string[] = [];
const passwords = new Set<string>();

function precogDb(args: string[]): Promise<{ code: number; all: string }> {
  return new Promise((ok) =>
    execFile(
      process.execPath,
      [join(ROOT, "bin/precog-db.js"), ...args],
      { cwd: project.dir, env: project.environment() },
      (err, stdout, stderr) => {
        const all = `${stdout}\n${stderr}`;
        printed.push(all);
        ok({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, all });
      },
    ),
  );
}

async function credentials(): Promise<Record<"app" | "migrator" | "readonly", string>> {
  const c = (await project.outputs("dev", true)).credentials;
  const out = { app: c.app.password, migrator: c.migrator.password, readonly: c.readonly.password };
  for (const p of Object.values(out)) passwords.add(p);
  return out;
}

const login = (user: string, password: string) =>
  attempt(() => asRole(user, password, dev.database, (c) => c.query("select 1")));

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev"]));
  await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
  await new Promise<void>((ok, fail) =>
    execFile(
      process.execPath,
      [join(ROOT, "dist/pulumi/scripts/env-file.js"), "dev"],
      { cwd: project.dir, env: project.environment() },
      (err) => (err ? fail(err) : ok()),
    ),
  );
  // Every statement in the server log, so a password sent in SQL would be caught there.
  await withAdmin(async (c) => {
    await c.query("alter system set log_statement = 'all'");
    await c.query("select pg_reload_conf()");
  });
}, 20 * MINUTES);

afterAll(async () => {
  await pool?.end();
  closeSuite(project, cluster);
});

describe.sequential("precog-db rotate on a local stack", () => {
  it(
    "rotates the app role: the old password is refused, the new one works, the open pool keeps serving",
    async () => {
      const before = await credentials();
      pool = await openPool({
        envFile: join(project.dir, ".env.dev"),
        env: {},
        logger: { warn: (m) => warnings.push(m) },
      });
      expect((await pool.query("select current_user as u")).rows[0].u).toBe(dev.appRole);

      const r = await precogDb(["rotate", "--env", "dev"]);
      expect(r.code, r.all).toBe(0);
      expect(r.all).toContain(`rotated app (${dev.appRole}) on dev`);

      const after = await credentials();
      expect(after.app).not.toBe(before.app);
      expect(after.app).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(after.migrator).toBe(before.migrator);
      expect(await login(dev.appRole, before.app)).toBe(INVALID_PASSWORD);
      expect(await login(dev.appRole, after.app)).toBe("ok");

      const envFile = join(project.dir, ".env.dev");
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(envFile, "utf8")).toContain(`DB_PASSWORD=${after.app}\n`);

      // The pool's connections are cut (as a restart or idle kill would): it opens new ones with
      // the password it reads again from .env.dev.
      await withAdmin((c) =>
        c.query("select pg_terminate_backend(pid) from pg_stat_activity where usename = $1", [dev.appRole]),
      );
      const open = pool;
      const rows = await Promise.all([1, 2, 3].map(() => open.query("select current_user as u")));
      expect(rows.map((x) => x.rows[0].u)).toEqual([dev.appRole, dev.appRole, dev.appRole]);
      expect(warnings.some((w) => w.includes(`re-reading the env file ${envFile}`))).toBe(true);
    },
    15 * MINUTES,
  );

  it(
    "rotates the migrator, whose password the migration component uses too",
    async () => {
      const before = await credentials();
      const r = await precogDb(["rotate", "--env", "dev", "--role", "migrator"]);
      expect(r.code, r.all).toBe(0);
      const after = await credentials();
      expect(after.migrator).not.toBe(before.migrator);
      expect(after.app).toBe(before.app);
      expect(await login(migrator, before.migrator)).toBe(INVALID_PASSWORD);
      expect(await login(migrator, after.migrator)).toBe("ok");
    },
    15 * MINUTES,
  );

  it(
    "rotates the migrator while a pending migration would fail: no migration runs, .env.dev has the new password",
    async () => {
      // Issue 30 item 10: rotate used to run a targeted up of the migration component after ALTER
      // ROLE, which failed on such a file and left .env.dev on the old password.
      const broken = join(project.dir, "migrations", "9000_broken.sql");
      writeFileSync(broken, "-- migrate:up\nSELECT no_such_function();\n");
      try {
        const before = await credentials();
        const r = await precogDb(["rotate", "--env", "dev", "--role", "migrator"]);
        expect(r.code, r.all).toBe(0);
        const after = await credentials();
        expect(after.migrator).not.toBe(before.migrator);
        expect(await login(migrator, after.migrator)).toBe("ok");
        expect(readFileSync(join(project.dir, ".env.dev"), "utf8")).toContain(
          `DB_MIGRATION_PASSWORD=${after.migrator}\n`,
        );
        const applied = await withAdmin(
          async (c) => (await c.query("select version::text as v from precog_migrations.history")).rows.map((x) => x.v),
          dev.database,
        );
        expect(applied).not.toContain("9000");
      } finally {
        rmSync(broken, { force: true });
      }
    },
    15 * MINUTES,
  );

  it(
    "the next pulumi up and preview change nothing, and the state agrees with the database",
    async () => {
      await project.ok(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", "dev"]);
      await project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
      const now = await credentials();
      expect(await login(dev.appRole, now.app)).toBe("ok");
      expect(await login(migrator, now.migrator)).toBe("ok");
    },
    15 * MINUTES,
  );

  it("refuses staging and prod, saying they rotate through Secrets Manager, and an unknown role", async () => {
    for (const env of ["staging", "prod"]) {
      const r = await precogDb(["rotate", "--env", env]);
      expect(r.code).toBe(1);
      expect(r.all).toContain(
        `rotate runs on the local stacks (dev, test) only: ${env} rotates through Secrets Manager`,
      );
    }
    const bad = await precogDb(["rotate", "--env", "dev", "--role", "superuser"]);
    expect(bad.code).toBe(1);
    expect(bad.all).toContain('--role must be one of app, readonly, migrator (got "superuser")');
  });

  it("no password in the command's output or the server's log", () => {
    const log = readFileSync(join(cluster.dir, "server.log"), "utf8");
    // The log does hold the rotation's statements, so the scan below looks at the right lines.
    expect(log).toMatch(/ALTER ROLE "precog_dev_migrator" PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(passwords.size).toBe(5);
    for (const p of [...passwords, cluster.password]) {
      expect(printed.join("\n").includes(p), "command output").toBe(false);
      expect(log.includes(p), "server log").toBe(false);
    }
  });
});
