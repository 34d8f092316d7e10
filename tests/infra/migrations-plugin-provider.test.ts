/**
 * The migration provider as its plugin serves it, against a real server: it logs in where its
 * `login` input says (the provider's config, or a Secrets Manager secret read when it connects),
 * so what it returns, on success and as the state of a failed apply, holds no credential; a state
 * recorded with its connection (the password a secret in it) still refreshes and keeps it secret.
 * Secrets arrive marked (as the engine sends them to a provider that accepts secrets) and the
 * database work gets plain values.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotClients } from "../../infra/migrations/plugin/crud";
import { iamTokens, providerConfig } from "../../infra/migrations/plugin/login";
import { changedKeys } from "../../infra/migrations/plugin/provider-config";
import { migrationsProvider } from "../../infra/migrations/plugin/server";
import { type RdsSnapshots, rdsClient } from "../../infra/migrations/plugin/snapshot";
import { secretLike, unwrapSecrets } from "../../infra/migrations/plugin/wire-secrets";
import { rdsIamToken } from "../../src/env/rds-iam-token";
import { listDigest, MIGRATION_LOCK_KEY, migrationFiles, summaryOf } from "../../src/migrate";
import { sha256 } from "../../src/migrate/hash";
import { adminConfig, clientConfig, createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { devProviderInputs } from "../helpers/provider-inputs";
import { recordedVersions } from "../helpers/recorded";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const URN = "urn:pulumi:dev::precog::precog-migrations:index:Migrations::precog-dev-migrations";

describe("the wire's secret markers", () => {
  it("unwrapSecrets gives plain values at any depth", () => {
    expect(unwrapSecrets({ a: secret({ b: secret("x") }), c: [secret(1), 2] })).toEqual({ a: { b: "x" }, c: [1, 2] });
  });

  it("unwrapSecrets leaves its input as it was, and hands back what holds no secret uncopied", () => {
    const ledger = [{ version: "1", checksum: "c" }];
    const wire = { connection: { host: "h", password: secret("p") }, ledger, list: [secret(1), [2]] };
    const plain = unwrapSecrets<typeof wire>(wire);
    expect(plain).toEqual({ connection: { host: "h", password: "p" }, ledger, list: [1, [2]] });
    expect(wire.connection.password).toEqual(secret("p"));
    expect(wire.list[0]).toEqual(secret(1));
    expect(plain.ledger).toBe(ledger);
    expect(plain.list[1]).toBe(wire.list[1]);
  });

  it("secretLike marks what was secret in the inputs, property by property, and nothing else", () => {
    const ins = { connection: { host: "h", password: secret("p") }, list: [1, secret(2)], dir: "/m" };
    const outs = { connection: { host: "h", password: "p" }, list: [1, 2], dir: "/m", ledger: [] };
    expect(secretLike(outs, ins)).toEqual({
      connection: { host: "h", password: secret("p") },
      list: secret([1, 2]),
      dir: "/m",
      ledger: [],
    });
  });
});

describe("the plugin's provider on a real server", () => {
  let database: string;
  let dir: string;
  const logged: string[] = [];
  const log = {
    of: (urn: string) => ({
      info: async (m: string) => void logged.push(`${urn} info ${m}`),
      warn: async (m: string) => void logged.push(`${urn} warn ${m}`),
    }),
    connect: () => {},
  };
  const provider = migrationsProvider("0.0.0-test", log);

  beforeAll(async () => {
    database = await createScratchDatabase("plugin");
    dir = mkdtempSync(join(tmpdir(), "precog-plugin-"));
    writeFileSync(join(dir, "0001_a.sql"), "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n");
  });
  afterAll(async () => {
    await dropDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });

  const inputs = () => devProviderInputs(dir, database);

  it("create logs in with the provider's config and returns no credential", async () => {
    const ins = await inputs();
    const created = await provider.create?.(URN, ins);
    expect(created?.outs.login).toEqual(ins.login);
    expect(recordedVersions(created?.outs)).toEqual(["1"]);
    // The state keeps what the provider reads back; the files and what the predecessor applied stay in the inputs.
    expect(Object.keys(created?.outs).sort()).toEqual([
      "applied",
      "backup",
      "environment",
      "lastBackup",
      "login",
      "operator",
      "schemaVersion",
    ]);
    expect(JSON.stringify(created?.outs)).not.toContain(adminConfig().password);
    expect(JSON.stringify(created?.outs)).not.toContain(SIG);
  });

  it("a recorded summary that does not settle the ledger: the diff reads the history table instead, and asks for an update that records it", async () => {
    const ins = await inputs();
    // 101 applied, versions 5 to 105 (made up): before the 100 it lists (6 to 105), it applied 5, not these files' 1.
    const unsettled = summaryOf(
      Array.from({ length: 101 }, (_, i) => ({ version: String(i + 5), checksum: sha256(`made up ${i}`) })),
    );
    const olds = { ...ins, applied: unsettled, schemaVersion: "105", lastBackup: null };
    logged.length = 0;
    const d = await provider.diff?.("migrations", URN, olds, ins);
    // The table has version 1 as the file is: nothing pending, no drift; not the ledger recorded, so an update (applying nothing) records it.
    expect(d?.changes).toBe(true);
    expect(logged).toEqual([]);
  });

  it("without the password in the provider's config, says where it looked", async () => {
    const ins = await inputs();
    providerConfig.current = {};
    const failure = await provider
      .read?.("migrations", URN, { ...ins, ledgerJson: "[]", schemaVersion: null, lastBackup: null })
      .catch((e) => e);
    const { host, port, user } = adminConfig();
    expect(failure.message).toContain(
      `the migration provider has no migratorPassword in its config, which a local stack's login (${user}@${host}:${port}/${database}) reads`,
    );
  });

  it("a state recorded with its connection refreshes with it, and keeps it secret", async () => {
    const { host, port, user, password } = adminConfig();
    providerConfig.current = {};
    const props = {
      environment: "dev",
      connection: { host, port, database, user, password: secret(password), sslMode: "disable" },
      backup: { kind: "none" },
      operator: "test",
      ledgerJson: "[]",
      schemaVersion: null,
      lastBackup: null,
    };
    const read = await provider.read?.("migrations", URN, props);
    expect(recordedVersions(read?.props)).toEqual(["1"]);
    expect(read?.props.connection).toEqual({
      host,
      port,
      database,
      user,
      password: secret(password),
      sslMode: "disable",
    });
    expect(read?.props.login).toBeUndefined();
  });

  it("a failed apply records the database's ledger as state, no credential in it", async () => {
    writeFileSync(join(dir, "0002_b.sql"), "-- migrate:up\nCREATE TABLE b (id int;\n-- migrate:down\nDROP TABLE b;\n");
    const olds = { ...(await inputs()), applied: summaryOf([]), schemaVersion: null, lastBackup: null };
    const news = await inputs();
    const failure = await provider.update?.("migrations", URN, olds, news).catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toContain("0002_b.sql");
    expect(failure.properties.login).toEqual(news.login);
    expect(JSON.stringify(failure.properties)).not.toContain(adminConfig().password);
    expect(recordedVersions(failure.properties)).toEqual(["1"]);
  });
});

describe("the plugin's provider waiting for the migration lock", () => {
  let database: string;
  let dir: string;
  beforeAll(async () => {
    database = await createScratchDatabase("plugin_wait");
    dir = mkdtempSync(join(tmpdir(), "precog-plugin-wait-"));
    writeFileSync(join(dir, "0001_a.sql"), "-- migrate:up\nCREATE TABLE a (id int);\n");
  });
  afterAll(async () => {
    await dropDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });

  it("an up waiting for the lock says so under the resource, then applies once the holder lets go", async () => {
    const logged: string[] = [];
    const log = {
      of: (urn: string) => ({
        info: async (m: string) => void logged.push(`${urn} info ${m}`),
        warn: async (m: string) => void logged.push(`${urn} warn ${m}`),
      }),
      connect: () => {},
    };
    const provider = migrationsProvider("0.0.0-test", log);
    const { host, port, user, password } = adminConfig();
    providerConfig.current = { migratorPassword: password };
    const files = await migrationFiles(dir, false);
    const ins = {
      environment: "dev",
      login: { kind: "provider-config", host, port, database, user, sslMode: "disable" },
      dir,
      files: listDigest(files),
      predecessor: null,
      predecessorApplied: null,
      backup: { kind: "none" },
      operator: "test",
    };
    const holder = new Client(clientConfig(database));
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const holderPid = (await holder.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      const created = provider.create?.(URN, ins);
      const deadline = Date.now() + 10_000;
      while (logged.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(logged).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${URN.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} info Waiting for the migration lock held by another run \\(backend pid ${holderPid}, user ${user}, application "", connected since \\S+\\), for up to \\d+ ms \\(--lock-wait\\)\\.\\.\\.$`,
          ),
        ),
      ]);
      await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      expect(recordedVersions((await created)?.outs)).toEqual(["1"]);
      expect(logged[1]).toBe(`${URN} info Applied 1 migration(s) to ${user}@${host}:${port}/${database} (dev).`);
    } finally {
      await holder.end();
    }
  });
});

describe("the plugin's provider refreshing", () => {
  it("a refresh that cannot read the history says it is a refresh, and what it could not reach", async () => {
    const provider = migrationsProvider("0.0.0-test", {
      of: () => ({ info: async () => {}, warn: async () => {} }),
      connect: () => {},
    });
    const { host, port, user, password } = adminConfig();
    providerConfig.current = { migratorPassword: password };
    const props = {
      environment: "dev",
      login: { kind: "provider-config", host, port, database: "precog_no_such_database", user, sslMode: "disable" },
      backup: { kind: "none" },
      operator: "test",
      applied: summaryOf([]),
      schemaVersion: null,
      lastBackup: null,
    };
    const failure = await provider.read?.("migrations", URN, props).catch((e) => e);
    const target = `${user}@${host}:${port}/precog_no_such_database`;
    expect(failure.message).toBe(
      `Refresh failed: cannot read the applied migrations (precog_migrations.history) of ${target}: ` +
        `Cannot connect to ${target}: database "precog_no_such_database" does not exist. ` +
        "Check DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD (or --database-url) and that the server is running. " +
        "Make sure the server is reachable and the migrator can log in (`PRECOG_ENV=dev npx precog-db status` reads the same table as the migrator), then run again.",
    );
  });
});

describe("the plugin's provider on an aws stack's login (IAM database authentication)", () => {
  const role = `precog_plugin_iam_${process.pid}`;
  let database: string;
  let dir: string;
  /** The stand-in signer: the token it hands out now (the role's password here, as RDS would accept it), and each signing's target. */
  let token: string;
  const signed: string[] = [];
  const provider = migrationsProvider("0.0.0-test", {
    of: () => ({ info: async () => {}, warn: async () => {} }),
    connect: () => {},
  });
  const loginOf = () => {
    const { host, port } = adminConfig();
    return { kind: "aws-iam", region: "us-east-1", host, port, database, user: role, sslMode: "disable" };
  };

  beforeAll(async () => {
    database = await createScratchDatabase("plugin_iam");
    dir = mkdtempSync(join(tmpdir(), "precog-plugin-iam-"));
    writeFileSync(join(dir, "0001_a.sql"), "-- migrate:up\nCREATE TABLE a (id int);\n");
    token = "first-token-1";
    await withAdmin(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${token}'`);
      await c.query(`GRANT ALL ON DATABASE ${database} TO ${role}`);
    });
    await withAdmin((c) => c.query(`GRANT ALL ON SCHEMA public TO ${role}`), database);
    iamTokens.sign = async (login) => {
      signed.push(`${login.user}@${login.host}:${login.port} ${login.region}`);
      return token;
    };
  });
  afterAll(async () => {
    iamTokens.sign = rdsIamToken;
    await dropDatabase(database);
    await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs a token for the migrator at each login, none in its inputs or state, so a new token changes nothing", async () => {
    const { host, port } = adminConfig();
    providerConfig.current = {};
    const files = await migrationFiles(dir, false);
    const ins = {
      environment: "dev",
      login: loginOf(),
      dir,
      files: listDigest(files),
      predecessor: null,
      allowed: null,
      backup: { kind: "none" },
      operator: "test",
    };
    const created = await provider.create?.(URN, ins);
    expect(recordedVersions(created?.outs)).toEqual(["1"]);
    expect(JSON.stringify(created?.outs)).not.toContain("first-token-1");
    // A later token (RDS accepts any fresh one; here the role's password moves to it).
    token = "second-token-2";
    await withAdmin((c) => c.query(`ALTER ROLE ${role} PASSWORD '${token}'`));
    const diff = await provider.diff?.("migrations", URN, created?.outs, ins);
    expect(diff?.changes).toBe(false);
    const read = await provider.read?.("migrations", URN, created?.outs);
    expect(recordedVersions(read?.props)).toEqual(["1"]);
    // One login for the create (the apply's own connection finds what the database lacks), one for the refresh.
    expect(signed).toEqual(Array(2).fill(`${role}@${host}:${port} us-east-1`));
  });

  it("a create with an RDS snapshot logs in once: the snapshot is taken under the apply's lock, once it found something pending", async () => {
    const { host, port } = adminConfig();
    providerConfig.current = {};
    const scratch = await createScratchDatabase("plugin_iam_snap");
    await withAdmin((c) => c.query(`GRANT ALL ON DATABASE ${scratch} TO ${role}`));
    await withAdmin((c) => c.query(`GRANT ALL ON SCHEMA public TO ${role}`), scratch);
    signed.length = 0;
    const calls: string[] = [];
    const holders: number[] = [];
    const rds: RdsSnapshots = {
      async create(instanceId, snapshotId) {
        calls.push(`create ${instanceId} ${snapshotId.replace(/\d{8}-\d{6}$/, "<stamp>")}`);
        // Who holds the migration lock while the snapshot is taken: the apply's own session.
        const held = await withAdmin((c) =>
          c.query(
            "select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = $1)",
            [scratch],
          ),
        );
        holders.push(held.rows[0].n);
      },
      status: async () => "available",
      manual: async () => [],
      remove: async () => {},
    };
    snapshotClients.rds = async () => rds;
    try {
      const files = await migrationFiles(dir, false);
      const ins = {
        environment: "dev",
        login: { ...loginOf(), database: scratch },
        dir,
        files: listDigest(files),
        predecessor: null,
        predecessorApplied: null,
        backup: { kind: "rds-snapshot", instanceId: "precog-x", region: "us-east-1", keepLast: 1, keepDays: 0 },
        operator: "test",
      };
      const created = await provider.create?.(URN, ins);
      expect(recordedVersions(created?.outs)).toEqual(["1"]);
      expect(created?.outs.lastBackup).toMatch(/^precog-x-premigration-\d{8}-\d{6}$/);
      expect(calls).toEqual(["create precog-x precog-x-premigration-<stamp>"]);
      expect(holders).toEqual([1]);
      expect(signed).toEqual([`${role}@${host}:${port} us-east-1`]);

      // Created again over the same database (a new resource, everything applied there): no snapshot, one login.
      signed.length = 0;
      const again = await provider.create?.(URN, ins);
      expect(recordedVersions(again?.outs)).toEqual(["1"]);
      expect(again?.outs.lastBackup).toBeNull();
      expect(calls).toHaveLength(1);
      expect(signed).toEqual([`${role}@${host}:${port} us-east-1`]);
    } finally {
      snapshotClients.rds = rdsClient;
      await withAdmin((c) => c.query(`REVOKE ALL ON DATABASE ${scratch} FROM ${role}`));
      await dropDatabase(scratch);
    }
  });

  it("a token that cannot be signed fails the refresh naming the login and the cause", async () => {
    iamTokens.sign = async () => {
      throw new Error("Could not load credentials from any providers");
    };
    const { host, port } = adminConfig();
    const props = {
      environment: "dev",
      login: loginOf(),
      backup: { kind: "none" },
      operator: "test",
      ledgerJson: "[]",
      schemaVersion: null,
      lastBackup: null,
    };
    const failure = await provider.read?.("migrations", URN, props).catch((e) => e);
    expect(failure.message).toBe(
      `Refresh failed: cannot read the applied migrations (precog_migrations.history) of ${role}@${host}:${port}/${database}: ` +
        "Could not load credentials from any providers. " +
        "Make sure the server is reachable and the migrator can log in (`PRECOG_ENV=dev npx precog-db status` reads the same table as the migrator), then run again.",
    );
  });
});

describe("the provider's DiffConfig", () => {
  it.each([
    [{}, {}, []],
    [{ migratorPassword: "a" }, { migratorPassword: "b" }, []],
    [{}, { migratorPassword: "b" }, ["migratorPassword"]],
    [{ migratorPassword: "a" }, {}, ["migratorPassword"]],
    [{ migratorPassword: "a", other: 1 }, { migratorPassword: "b", other: 2 }, ["other"]],
  ])("%j -> %j changes %j", (olds, news, changed) => {
    expect(changedKeys(olds, news)).toEqual(changed);
  });
});
