/**
 * End to end with the real Pulumi engine (built or found by scripts/pulumi-engine.sh), a file
 * backend with throwaway state, and the test run's real PostgreSQL: dev, test, staging and prod
 * brought up in that order (staging and prod pointed at the local server through config), and
 * every claim checked in the database itself.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS } from "../../src/env/defaults";
import { adminConfig, withAdmin } from "../helpers/pg";
import { asRole, attempt, databaseOwner, publicCanConnect, roleFacts } from "../e2e/probes";
import { engineBinDir, PulumiProject } from "../e2e/pulumi-project";

const STACKS = ["dev", "test", "staging", "prod"] as const;
type Stack = (typeof STACKS)[number];
const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", USER: "e2e-operator" };
const LIMITS: Record<Stack, number> = { dev: 10, test: 50, staging: 50, prod: 200 };
const MINUTES = 60_000;

let project: PulumiProject;
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

beforeAll(() => {
  project = new PulumiProject(engineBinDir({ complete: true }));
  const { port, dir } = adminConfig();
  for (const stack of STACKS) {
    project.useLocalServer(stack, { host: "127.0.0.1", port, adminPasswordFile: join(dir, "admin-password") });
    project.ok(["stack", "init", stack]);
  }
}, 30 * MINUTES);

afterAll(() => {
  project?.remove();
});

describe.sequential("pulumi up on all four stacks, against a real PostgreSQL", () => {
  it("prod refuses to run without PRECOG_PROD_CONFIRMED=yes and touches nothing", async () => {
    const r = project.run(["up", "--yes", "--skip-preview", "--stack", "prod"]);
    expect(r.code).not.toBe(0);
    expect(r.all).toContain('Refusing to deploy stack "prod"');
    expect(await databaseOwner("precog_prod")).toBeUndefined();
    expect(await roleFacts("precog_app_user")).toBeUndefined();
  }, 10 * MINUTES);

  it("a stack whose configured environment, or PRECOG_ENV, disagrees stops before registering anything", async () => {
    const viaShell = project.run(["up", "--yes", "--skip-preview", "--stack", "dev"], { PRECOG_ENV: "test" });
    expect(viaShell.code).not.toBe(0);
    expect(viaShell.all).toContain('PRECOG_ENV is "test" but stack "dev" provisions environment "dev"');
    const viaConfig = project.runWithConfig("test", { "precog:environment": "dev" }, ["up", "--yes", "--skip-preview", "--stack", "test"]);
    expect(viaConfig.code).not.toBe(0);
    expect(viaConfig.all).toContain('Stack "test" is configured for environment "dev"');
    for (const stack of ["dev", "test"]) {
      const exported = JSON.parse(project.ok(["stack", "export", "--stack", stack]).stdout);
      expect(exported.deployment?.resources ?? []).toEqual([]);
    }
    expect(await databaseOwner("precog_dev")).toBeUndefined();
  }, 10 * MINUTES);

  it.each(STACKS)("up %s provisions the database, roles, limits and privileges", async (stack) => {
    project.ok(["up", "--yes", "--skip-preview", "--stack", stack], envFor(stack));
    const t = ENVIRONMENT_DEFAULTS[stack];
    const out = project.outputs(stack, true);
    const owner = `${t.database}_owner`;
    const ro = `${t.database}_readonly`;
    for (const role of ["owner", "app", "readonly"]) passwords.add(out.credentials[role].password);

    expect(await databaseOwner(t.database)).toBe(owner);
    expect(await publicCanConnect(t.database)).toBe(false);
    expect(await roleFacts(t.appRole)).toEqual({
      rolname: t.appRole, rolcanlogin: true, rolconnlimit: LIMITS[stack], rolsuper: false, rolcreatedb: false, rolcreaterole: false,
    });
    expect((await roleFacts(ro))?.rolconnlimit).toBe(5);
    expect((await roleFacts(owner))?.rolconnlimit).toBe(5);

    // The owner creates a table after provisioning, as a migration would.
    await asRole(owner, out.credentials.owner.password, t.database, (c) =>
      c.query("create table e2e_probe (id bigserial primary key, note text)"),
    );
    const app = (fn: (c: import("pg").Client) => Promise<unknown>) => asRole(t.appRole, out.credentials.app.password, t.database, fn);
    expect(await attempt(() => app((c) => c.query("insert into e2e_probe (note) values ('written by app')")))).toBe("ok");
    expect(await attempt(() => app((c) => c.query("update e2e_probe set note = 'updated'")))).toBe("ok");
    expect(await app(async (c) => (await c.query("select note from e2e_probe")).rows)).toEqual([{ note: "updated" }]);
    expect(await attempt(() => app((c) => c.query("create table app_made (x int)")))).toBe("permission denied for schema public");
    expect(await attempt(() => app((c) => c.query("drop table e2e_probe")))).toBe("must be owner of table e2e_probe");
    expect(await attempt(() => app((c) => c.query("alter table e2e_probe add column y int")))).toBe("must be owner of table e2e_probe");

    const readonly = (fn: (c: import("pg").Client) => Promise<unknown>) => asRole(ro, out.credentials.readonly.password, t.database, fn);
    expect(await readonly(async (c) => (await c.query("select count(*)::int as n from e2e_probe")).rows[0].n)).toBe(1);
    expect(await attempt(() => readonly((c) => c.query("insert into e2e_probe (note) values ('x')")))).toBe("permission denied for table e2e_probe");
    expect(await attempt(() => readonly((c) => c.query("delete from e2e_probe")))).toBe("permission denied for table e2e_probe");

    // A login role with no grants of its own has only PUBLIC's rights: it cannot connect.
    const stranger = `e2e_stranger_${stack}`;
    await withAdmin((c) => c.query(`create role ${stranger} login password 'stranger-pw'`));
    expect(await attempt(() => asRole(stranger, "stranger-pw", t.database, (c) => c.query("select 1")))).toBe(
      `permission denied for database ${t.database}`,
    );
    await withAdmin((c) => c.query(`drop role ${stranger}`));
  }, 15 * MINUTES);

  it.each(STACKS)("a second up on %s changes nothing, and preview after it reports no changes", (stack) => {
    project.ok(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", stack], envFor(stack));
    project.ok(["preview", "--expect-no-changes", "--stack", stack], envFor(stack));
  }, 15 * MINUTES);

  it("a password rotated outside Pulumi survives `pulumi up --refresh`", async () => {
    const t = ENVIRONMENT_DEFAULTS.staging;
    await withAdmin((c) => c.query(`alter role ${t.appRole} password 'rotated-by-ops-e2e'`));
    project.ok(["up", "--yes", "--skip-preview", "--refresh", "--stack", "staging"]);
    expect(await attempt(() => asRole(t.appRole, "rotated-by-ops-e2e", t.database, (c) => c.query("select 1")))).toBe("ok");
  }, 15 * MINUTES);

  it("refresh after a role is dropped by hand shows the drift, and up repairs it", async () => {
    const t = ENVIRONMENT_DEFAULTS.dev;
    const ro = `${t.database}_readonly`;
    await withAdmin((c) => c.query(`drop owned by ${ro}; drop role ${ro}`), t.database);
    expect(await roleFacts(ro)).toBeUndefined();
    const refresh = project.ok(["refresh", "--yes", "--skip-preview", "--stack", "dev"]);
    expect(refresh.all).toMatch(/precog-dev-db-role-readonly\s+deleted/);
    project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
    expect((await roleFacts(ro))?.rolconnlimit).toBe(5);
    const out = project.outputs("dev", true);
    expect(
      await asRole(ro, out.credentials.readonly.password, t.database, async (c) => (await c.query("select count(*)::int as n from e2e_probe")).rows[0].n),
    ).toBe(1);
    project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
  }, 15 * MINUTES);

  it("destroy of the protected prod stack fails and leaves the database in place", async () => {
    const r = project.run(["destroy", "--yes", "--skip-preview", "--stack", "prod"], CONFIRMED);
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/protect/);
    expect(await databaseOwner("precog_prod")).toBe("precog_prod_owner");
    expect((await roleFacts("precog_app_user"))?.rolcanlogin).toBe(true);
  }, 15 * MINUTES);

  it("no password appears in plaintext in the state files, the stack outputs or the engine's output", () => {
    expect(passwords.size).toBe(12);
    const plainOutputs = STACKS.map((s) => JSON.stringify(project.outputs(s))).join("\n");
    expect(plainOutputs).toContain("[secret]");
    const state = filesUnder(project.stateDir).map((f) => readFileSync(f, "utf8")).join("\n");
    const admin = readFileSync(join(adminConfig().dir, "admin-password"), "utf8").trim();
    const transcript = project.transcript.filter((t) => !t.includes("--show-secrets")).join("\n");
    for (const secret of [...passwords, admin]) {
      expect(state.includes(secret), "state files").toBe(false);
      expect(plainOutputs.includes(secret), "stack outputs").toBe(false);
      expect(transcript.includes(secret), "engine output").toBe(false);
    }
  });
});
