/**
 * End to end with the real Pulumi engine (built or found by scripts/pulumi-engine.sh), a file
 * backend with throwaway state, and the test run's real PostgreSQL: dev, test, staging and prod
 * brought up in that order (staging and prod pointed at the local server through config), and
 * every claim checked in the database itself. The refusals (prod unconfirmed, mismatched
 * environments, bad config) are in guards.test.ts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import {
  asRole,
  attempt,
  databaseOwner,
  dropDatabaseAs,
  hasPassword,
  INSUFFICIENT_PRIVILEGE,
  membersOf,
  publicCanConnect,
  roleFacts,
  withAdmin,
} from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject } from "../../testbed/pulumi-project";
import { stackFacts } from "../helpers/stack-facts";

const STACKS = ["dev", "test", "staging", "prod"] as const;
type Stack = (typeof STACKS)[number];
const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", USER: "e2e-operator" };
// The app role's: pool.max x pool.appInstances plus the default headroom of 5.
const LIMITS: Record<Stack, number> = { dev: 15, test: 55, staging: 55, prod: 205 };
const MINUTES = 60_000;

let project: PulumiProject;
let cluster: LocalCluster;
const passwords = new Set<string>();

function envFor(stack: Stack) {
  return stack === "prod" ? CONFIRMED : {};
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  ({ project, cluster } = await openSuite(STACKS));
}, 30 * MINUTES);

afterAll(() => closeSuite(project, cluster));

describe.sequential("pulumi up on all four stacks, against a real PostgreSQL", () => {
  it.each(STACKS)(
    "up %s provisions the database, roles, limits and privileges",
    async (stack) => {
      await project.ok(["up", "--yes", "--skip-preview", "--stack", stack], envFor(stack));
      const t = stackFacts(stack);
      const out = await project.outputs(stack, true);
      const dbOwner = `${t.database}_dbowner`;
      const owner = `${t.database}_owner`;
      const migrator = `${t.database}_migrator`;
      const ro = `${t.database}_readonly`;
      expect(Object.keys(out.credentials).sort()).toEqual(["app", "migrator", "readonly"]);
      for (const role of ["migrator", "app", "readonly"]) passwords.add(out.credentials[role].password);

      // The database's owner and the objects' owner cannot log in and have no password; only the
      // migrator is a member of the objects' owner, and no role of the database's.
      expect(await databaseOwner(t.database)).toBe(dbOwner);
      for (const role of [dbOwner, owner]) {
        expect(await roleFacts(role)).toEqual({
          rolname: role,
          rolcanlogin: false,
          rolconnlimit: -1,
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
        });
        expect(await hasPassword(role)).toBe(false);
      }
      expect(await membersOf(dbOwner)).toEqual([]);
      expect(await membersOf(owner)).toEqual([migrator]);
      expect(await roleFacts(migrator)).toEqual({
        rolname: migrator,
        rolcanlogin: true,
        rolconnlimit: 5,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
      });
      expect(await publicCanConnect(t.database)).toBe(false);
      expect(await roleFacts(t.appRole)).toEqual({
        rolname: t.appRole,
        rolcanlogin: true,
        rolconnlimit: LIMITS[stack],
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
      });
      expect((await roleFacts(ro))?.rolconnlimit).toBe(5);

      // No login role of the stack can drop the database: not the migrator, not even acting as the
      // owner (or trying to act as the database's owner), not the app or read-only role.
      const logins = { [migrator]: out.credentials.migrator.password, [t.appRole]: out.credentials.app.password };
      logins[ro] = out.credentials.readonly.password;
      for (const [user, password] of Object.entries(logins))
        expect([user, await dropDatabaseAs(user, password, t.database)]).toEqual([user, INSUFFICIENT_PRIVILEGE]);
      expect(await dropDatabaseAs(migrator, logins[migrator], t.database, owner)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await dropDatabaseAs(migrator, logins[migrator], t.database, dbOwner)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await databaseOwner(t.database)).toBe(dbOwner);

      // The migrator creates a table after provisioning acting as the owner, as a migration does.
      const asOwner = (fn: (c: import("pg").Client) => Promise<unknown>) =>
        asRole(migrator, out.credentials.migrator.password, t.database, async (c) => {
          await c.query(`set role ${owner}`);
          return fn(c);
        });
      await asOwner((c) => c.query("create table e2e_probe (id bigserial primary key, note text)"));
      expect(
        (
          await withAdmin(
            (c) =>
              c.query(
                "select relname, pg_get_userbyid(relowner) as owner from pg_class where relname like 'e2e_probe%' order by 1",
              ),
            t.database,
          )
        ).rows,
      ).toEqual([
        { relname: "e2e_probe", owner },
        { relname: "e2e_probe_id_seq", owner },
        { relname: "e2e_probe_pkey", owner },
      ]);
      const app = (fn: (c: import("pg").Client) => Promise<unknown>) =>
        asRole(t.appRole, out.credentials.app.password, t.database, fn);
      expect(await attempt(() => app((c) => c.query("insert into e2e_probe (note) values ('written by app')")))).toBe(
        "ok",
      );
      expect(await attempt(() => app((c) => c.query("update e2e_probe set note = 'updated'")))).toBe("ok");
      expect(await app(async (c) => (await c.query("select note from e2e_probe")).rows)).toEqual([{ note: "updated" }]);
      expect(await attempt(() => app((c) => c.query("create table app_made (x int)")))).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await attempt(() => app((c) => c.query("drop table e2e_probe")))).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await attempt(() => app((c) => c.query("alter table e2e_probe add column y int")))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );

      // Sequences: nextval (USAGE), not setval (UPDATE).
      expect(await attempt(() => app((c) => c.query("select nextval('e2e_probe_id_seq')")))).toBe("ok");
      expect(await attempt(() => app((c) => c.query("select setval('e2e_probe_id_seq', 1)")))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
      // A function the owner creates later is not executable through PUBLIC.
      await asOwner((c) => c.query("create function e2e_probe_fn() returns int language sql as 'select 1'"));
      expect(await attempt(() => app((c) => c.query("select e2e_probe_fn()")))).toBe(INSUFFICIENT_PRIVILEGE);

      // Every login role's session: search_path pinned, its timeouts from config (Pulumi.yaml's defaults).
      const session = (c: import("pg").Client) =>
        c
          .query(
            "select current_setting('search_path') as search_path, current_setting('statement_timeout') as statement, " +
              "current_setting('idle_in_transaction_session_timeout') as idle",
          )
          .then((r) => r.rows[0]);
      expect(await app(session)).toEqual({ search_path: "public", statement: "30s", idle: "1min" });
      expect(await asRole(migrator, out.credentials.migrator.password, t.database, session)).toEqual({
        search_path: "public",
        statement: "0",
        idle: "10min",
      });

      const readonly = (fn: (c: import("pg").Client) => Promise<unknown>) =>
        asRole(ro, out.credentials.readonly.password, t.database, fn);
      expect(await readonly(async (c) => (await c.query("select count(*)::int as n from e2e_probe")).rows[0].n)).toBe(
        1,
      );
      expect(await attempt(() => readonly((c) => c.query("insert into e2e_probe (note) values ('x')")))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
      expect(await attempt(() => readonly((c) => c.query("delete from e2e_probe")))).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await readonly(session)).toEqual({ search_path: "public", statement: "5min", idle: "1min" });
      expect(await attempt(() => readonly((c) => c.query("select e2e_probe_fn()")))).toBe(INSUFFICIENT_PRIVILEGE);

      // A login role with no grants of its own has only PUBLIC's rights: it cannot connect.
      const stranger = `e2e_stranger_${stack}`;
      await withAdmin((c) => c.query(`create role ${stranger} login password 'stranger-pw'`));
      expect(await attempt(() => asRole(stranger, "stranger-pw", t.database, (c) => c.query("select 1")))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
      await withAdmin((c) => c.query(`drop role ${stranger}`));
    },
    15 * MINUTES,
  );

  it.each(STACKS)(
    "a second up on %s changes nothing, and preview after it reports no changes",
    async (stack) => {
      await project.ok(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", stack], envFor(stack));
      await project.ok(["preview", "--expect-no-changes", "--stack", stack], envFor(stack));
    },
    15 * MINUTES,
  );

  it(
    "a password rotated outside Pulumi survives `pulumi up --refresh`",
    async () => {
      const t = stackFacts("staging");
      await withAdmin((c) => c.query(`alter role ${t.appRole} password 'rotated-by-ops-e2e'`));
      await project.ok(["up", "--yes", "--skip-preview", "--refresh", "--stack", "staging"]);
      expect(await attempt(() => asRole(t.appRole, "rotated-by-ops-e2e", t.database, (c) => c.query("select 1")))).toBe(
        "ok",
      );
    },
    15 * MINUTES,
  );

  it(
    "refresh after a role is dropped by hand shows the drift, and up repairs it",
    async () => {
      const t = stackFacts("dev");
      const ro = `${t.database}_readonly`;
      await withAdmin((c) => c.query(`drop owned by ${ro}; drop role ${ro}`), t.database);
      expect(await roleFacts(ro)).toBeUndefined();
      const refresh = await project.ok(["refresh", "--yes", "--skip-preview", "--stack", "dev"]);
      expect(refresh.all).toMatch(/precog-dev-db-role-readonly\s+deleted/);
      await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
      expect((await roleFacts(ro))?.rolconnlimit).toBe(5);
      const out = await project.outputs("dev", true);
      expect(
        await asRole(
          ro,
          out.credentials.readonly.password,
          t.database,
          async (c) => (await c.query("select count(*)::int as n from e2e_probe")).rows[0].n,
        ),
      ).toBe(1);
      await project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
    },
    15 * MINUTES,
  );

  it(
    "destroy of the protected prod stack fails and leaves the database in place",
    async () => {
      const r = await project.run(["destroy", "--yes", "--skip-preview", "--stack", "prod"], CONFIRMED);
      expect(r.code).not.toBe(0);
      expect(r.all).toMatch(/protect/);
      expect(await databaseOwner("precog_prod")).toBe("precog_prod_dbowner");
      expect((await roleFacts("precog_app_user"))?.rolcanlogin).toBe(true);
    },
    15 * MINUTES,
  );

  it("no password appears in plaintext in the state files, the stack outputs or the engine's output", async () => {
    expect(passwords.size).toBe(12);
    const plainOutputs = (await Promise.all(STACKS.map(async (s) => JSON.stringify(await project.outputs(s))))).join(
      "\n",
    );
    expect(plainOutputs).toContain("[secret]");
    const state = filesUnder(project.stateDir)
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const admin = cluster.password;
    const transcript = project.transcript.filter((t) => !t.includes("--show-secrets")).join("\n");
    for (const secret of [...passwords, admin]) {
      expect(state.includes(secret), "state files").toBe(false);
      expect(plainOutputs.includes(secret), "stack outputs").toBe(false);
      expect(transcript.includes(secret), "engine output").toBe(false);
    }
  });
});
