/**
 * The team's shared state in PostgreSQL, for real: the Pulumi CLI's own postgres:// backend on a
 * cluster of this suite's own, provisioned by scripts/state-backend.sh (docs/state.md), and two
 * checkouts of the project (two copies, two members of the team's role) running the owned-parts
 * program (./owned-program.ts) inline against it. Two updates of one stack at once: the second is
 * refused naming the first's lock, and the state is whole afterwards. The stack-order gate reads
 * the predecessor's ledger through the shared backend. The state and its history are readable by
 * the team's role and its members and by no other role. The backend URLs hold no password (the CLI
 * reads it from PGPASSFILE), and no password reaches anything the engine printed.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { asRole, attempt, INSUFFICIENT_PRIVILEGE, probeServer, withAdmin } from "../../testbed/probes";
import { type InlineProgram, InlineProject } from "./inline-project";
import { appliedVersions, MIGRATIONS_TYPE, ownedProgram, prepareDatabase, stackConfig } from "./owned-program";

const MINUTES = 60_000;
const SCRIPT = resolve(__dirname, "../../scripts/state-backend.sh");
const DATABASE = "precog_pulumi";
const TEAM = "precog_state";
/** The CI's login and a person's: both members of the team's role, one per checkout. */
const MEMBERS = ["precog_state_ci", "precog_state_alice"] as const;
const NOTES = "0006_market_notes.sql";
let cluster: LocalCluster;
let secretsDir: string;
let passwords: Record<string, string>;
let outsider: { name: string; password: string };
/** Two checkouts of the project on the one shared backend. */
let ci: InlineProject;
let alice: InlineProject;
/** Each checkout's programs: the migrations they apply are that checkout's files. */
const programs = new Map<InlineProject, Record<"dev" | "test", InlineProgram>>();
const program = (checkout: InlineProject, stack: "dev" | "test") => programs.get(checkout)?.[stack] as InlineProgram;

const run = promisify(execFile);
/** scripts/state-backend.sh as the cluster's administrator, through libpq's variables only. */
const stateBackend = (...args: string[]) =>
  run("bash", [SCRIPT, ...args], {
    env: {
      ...process.env,
      PGHOST: cluster.host,
      PGPORT: String(cluster.port),
      PGUSER: cluster.user,
      PGPASSFILE: join(cluster.dir, "pgpass"),
      PGSSLMODE: "disable",
      PGDATABASE: undefined,
    },
    encoding: "utf8",
  });
const urlOf = async (login: string) => (await stateBackend("url", login)).stdout.trim();
const stateKeys = (like: string) =>
  withAdmin(
    async (c) =>
      (await c.query("select key from pulumi.pulumi_state where key like $1 order by key", [like])).rows.map(
        (r) => r.key as string,
      ),
    DATABASE,
  );
const versions = async (project: InlineProject, stack: string) =>
  appliedVersions((await project.outputs(stack)).migrations);
const addMigration = (project: InlineProject) =>
  writeFileSync(
    join(project.dir, "migrations", NOTES),
    "-- migrate:up\nALTER TABLE markets ADD COLUMN notes text;\n\n-- migrate:down\nALTER TABLE markets DROP COLUMN notes;\n",
  );

beforeAll(async () => {
  cluster = await startLocalCluster();
  probeServer(cluster);
  expect((await stateBackend("provision")).stdout).toBe(
    `state-backend: database ${DATABASE}, table pulumi.pulumi_state, owned by role ${TEAM}; no other role may connect.\n`,
  );
  for (const login of MEMBERS) await stateBackend("add-member", login);
  // What psql's \password does for a person; here in SQL, on a test cluster that logs no statements.
  passwords = Object.fromEntries(MEMBERS.map((m, i) => [m, `state-${i}-${Date.now().toString(36)}-pw`]));
  await withAdmin(async (c) => {
    for (const m of MEMBERS) await c.query(`ALTER ROLE ${m} PASSWORD '${passwords[m]}'`);
  });

  const first = await InlineProject.open();
  const stackPasswords: Record<string, Record<string, string>> = {};
  for (const stack of ["dev", "test"] as const) {
    first.useLocalServer(stack, cluster);
    stackPasswords[stack] = await prepareDatabase(await stackConfig(first, stack));
  }
  first.remove();
  outsider = { name: "precog_dev_user", password: stackPasswords.dev.app };

  // One passfile for every login here (libpq's format, mode 0600): the URLs name the user only.
  secretsDir = mkdtempSync(join(tmpdir(), "precog-state-"));
  const passfile = join(secretsDir, "pgpass");
  const lines = [...MEMBERS.map((m) => [m, passwords[m]]), [outsider.name, outsider.password]].map(
    ([user, pw]) => `${cluster.host}:${cluster.port}:${DATABASE}:${user}:${pw}\n`,
  );
  writeFileSync(passfile, lines.join(""));
  chmodSync(passfile, 0o600);

  const checkout = async (login: string) => {
    const p = await InlineProject.open({ url: await urlOf(login), env: { PGPASSFILE: passfile } });
    for (const stack of ["dev", "test"] as const) p.useLocalServer(stack, cluster);
    return p;
  };
  ci = await checkout(MEMBERS[0]);
  alice = await checkout(MEMBERS[1]);
  for (const p of [ci, alice])
    programs.set(p, {
      dev: ownedProgram(p.dir, stackPasswords.dev.migrator),
      test: ownedProgram(p.dir, stackPasswords.test.migrator),
    });
}, 20 * MINUTES);

afterAll(() => {
  ci?.remove();
  alice?.remove();
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
  cluster?.stop();
});

describe("scripts/state-backend.sh", () => {
  it("gives each login a URL without a password, and refuses a name that is not a plain PostgreSQL name", async () => {
    expect(await urlOf("precog_state_ci")).toBe(
      `postgres://precog_state_ci@${cluster.host}:${cluster.port}/${DATABASE}?sslmode=disable`,
    );
    const bad = await stateBackend("add-member", "Robert'); drop").catch((e) => e);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      `state-backend: LOGIN "Robert'); drop" is not a plain PostgreSQL name: use lowercase letters, digits and underscores (at most 63), starting with a letter or underscore.\n`,
    ]);
  });

  it("provisions again without a change (idempotent)", async () => {
    const before = await withAdmin(
      async (c) => (await c.query("select count(*)::int as n from pg_roles")).rows[0].n as number,
    );
    await stateBackend("provision");
    await stateBackend("add-member", MEMBERS[0]);
    expect(
      await withAdmin(async (c) => (await c.query("select count(*)::int as n from pg_roles")).rows[0].n as number),
    ).toBe(before);
  });
});

describe.sequential("the shared postgres:// backend, two checkouts", () => {
  it(
    "refuses a second update of a stack while one runs, naming the lock; the state is whole afterwards",
    async () => {
      let started!: () => void;
      const running = new Promise<void>((ok) => (started = ok));
      let release!: () => void;
      const released = new Promise<void>((ok) => (release = ok));
      // The first update holds its lock while its program waits for the second to be refused.
      const held: InlineProgram = async (vars) => {
        started();
        await released;
        return program(ci, "dev")(vars);
      };
      const first = ci.up("dev", held);
      await running;
      const locks = await stateKeys(`${DATABASE}/.pulumi/locks/%`);
      expect(locks).toEqual([
        expect.stringMatching(new RegExp(`^${DATABASE}/\\.pulumi/locks/organization/precog/dev/[0-9a-f-]{36}\\.json$`)),
      ]);

      const second = await alice.up("dev", program(alice, "dev"));
      release();
      const done = await first;

      expect(second.ok).toBe(false);
      expect(second.output).toContain(
        "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      );
      const named = `postgres://****:****@${cluster.host}:${cluster.port}/${locks[0]}?sslmode=disable: created by ${userInfo().username}@${hostname()} (pid `;
      expect(second.output).toContain(named);
      expect(done.ok).toBe(true);
      expect(await stateKeys(`${DATABASE}/.pulumi/locks/%`)).toEqual([]);

      // Whole: the other checkout reads the first's state and finds nothing to change.
      expect(await versions(alice, "dev")).toEqual(["1", "2", "3", "4", "5"]);
      expect((await alice.resourcesOf("dev", MIGRATIONS_TYPE)).map((r) => r.urn)).toEqual([
        "urn:pulumi:dev::precog::precog:migrations:PrecogMigrations$precog-migrations:index:Migrations::precog-dev-migrations",
      ]);
      const again = await alice.preview("dev", program(alice, "dev"), { expectNoChanges: true });
      expect([again.ok, again.changes]).toEqual([true, { same: 4 }]);
      const history = JSON.parse((await alice.copy.ok(["stack", "history", "--json", "--stack", "dev"])).stdout);
      expect(history.map((u: { kind: string; result: string }) => [u.kind, u.result])).toEqual([
        ["update", "succeeded"],
      ]);
    },
    15 * MINUTES,
  );

  it(
    "recovers the lock a killed update left behind with pulumi cancel, as docs/state.md says",
    async () => {
      let started!: () => void;
      const running = new Promise<void>((ok) => (started = ok));
      // A job killed while its update runs: the program never ends, the CLI gets SIGKILL.
      const hung: InlineProgram = () => {
        started();
        return new Promise(() => {});
      };
      const killed = ci.up("dev", hung);
      await running;
      const [lock] = await stateKeys(`${DATABASE}/.pulumi/locks/%`);
      const pid = await withAdmin(
        async (c) =>
          (
            await c.query(
              "select (convert_from(decode(data->>'data', 'base64'), 'UTF8')::json->>'pid')::int as pid from pulumi.pulumi_state where key = $1",
              [lock],
            )
          ).rows[0].pid as number,
        DATABASE,
      );
      process.kill(pid, "SIGKILL");
      expect((await killed).ok).toBe(false);
      expect(await stateKeys(`${DATABASE}/.pulumi/locks/%`)).toEqual([lock]);

      const refused = await alice.up("dev", program(alice, "dev"));
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain(
        `/${lock}?sslmode=disable: created by ${userInfo().username}@${hostname()} (pid ${pid}) at `,
      );

      await alice.copy.ok(["cancel", "--yes", "--stack", "dev"]);
      expect(await stateKeys(`${DATABASE}/.pulumi/locks/%`)).toEqual([]);
      const after = await alice.preview("dev", program(alice, "dev"), { expectNoChanges: true });
      expect([after.ok, after.changes]).toEqual([true, { same: 4 }]);
    },
    15 * MINUTES,
  );

  it(
    "gates test on dev's ledger read through the shared backend, from the other checkout",
    async () => {
      expect((await alice.up("test", program(alice, "test"))).ok).toBe(true);
      expect(await versions(alice, "test")).toEqual(["1", "2", "3", "4", "5"]);

      addMigration(alice);
      const refused = await alice.up("test", program(alice, "test"));
      expect(refused.ok).toBe(false);
      expect(refused.output).toMatch(
        /6_market_notes\.sql \(checksum [0-9a-f]{12}\): stack "dev" has not applied it; stack "test" lacks it until "dev" does/,
      );

      addMigration(ci);
      expect((await ci.up("dev", program(ci, "dev"))).ok).toBe(true);
      expect((await alice.up("test", program(alice, "test"))).ok).toBe(true);
      expect(await versions(ci, "test")).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    15 * MINUTES,
  );

  it(
    "lets the team's role and its members read the state and its history, and no other role",
    async () => {
      const history = await stateKeys(`${DATABASE}/.pulumi/history/%`);
      // Every update's history of both stacks (.pulumi/history/<project>/<stack>/ in the CLI's layout).
      const stackOf = (k: string) => k.slice(`${DATABASE}/.pulumi/history/precog/`.length).split("/")[0];
      expect([...new Set(history.map(stackOf))]).toEqual(["dev", "test"]);
      for (const m of MEMBERS)
        expect(
          await asRole(m, passwords[m], DATABASE, async (c) =>
            (
              await c.query("select key from pulumi_state where key like $1 order by key", [
                `${DATABASE}/.pulumi/history/%`,
              ])
            ).rows.map((r) => r.key),
          ),
        ).toEqual(history);

      // In PostgreSQL: who may connect, use the schema and select from the table (superusers aside).
      const readers = await withAdmin(
        async (c) =>
          (
            await c.query(
              `select rolname from pg_roles where not rolsuper
                 and has_database_privilege(oid, $1, 'CONNECT')
                 and has_schema_privilege(oid, 'pulumi', 'USAGE')
                 and has_table_privilege(oid, 'pulumi.pulumi_state', 'SELECT')
               order by rolname`,
              [DATABASE],
            )
          ).rows.map((r) => r.rolname),
        DATABASE,
      );
      expect(readers).toEqual([TEAM, "precog_state_alice", "precog_state_ci"]);
      const connectors = await withAdmin(async (c) =>
        (
          await c.query(
            "select rolname from pg_roles where not rolsuper and has_database_privilege(oid, $1, 'CONNECT') order by rolname",
            [DATABASE],
          )
        ).rows.map((r) => r.rolname),
      );
      expect(connectors).toEqual(readers);

      // Another role of the cluster (dev's app login) is refused by PostgreSQL and by the CLI.
      expect(await attempt(() => asRole(outsider.name, outsider.password, DATABASE, (c) => c.query("select 1")))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
      const url = await urlOf(outsider.name);
      const cli = await ci.copy.run(["stack", "history", "--stack", "dev"], { PULUMI_BACKEND_URL: url });
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain(`pq: permission denied for database "${DATABASE}" (42501)`);
    },
    5 * MINUTES,
  );

  it("never printed a password: not in the engine's output, the URLs or the exports", () => {
    const printed = [ci.printed(), alice.printed()].join("\n");
    expect(printed).toContain("postgres://****:****@");
    for (const pw of [...Object.values(passwords), outsider.password]) expect(printed).not.toContain(pw);
  });
});
