/**
 * The migration provider as its plugin serves it, against a real server: secrets arrive marked (as
 * the engine sends them to a provider that accepts secrets), the database work gets plain values,
 * and what the provider returns, on success and as the state of a failed apply, keeps the
 * connection a secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordedApplied } from "../../infra/migrations/contract";
import { migrationsProvider } from "../../infra/migrations/plugin/server";
import { secretLike, unwrapSecrets } from "../../infra/migrations/plugin/wire-secrets";
import { MIGRATION_LOCK_KEY, migrationFiles, summaryOf } from "../../src/migrate";
import { adminConfig, clientConfig, createScratchDatabase, dropDatabase } from "../helpers/pg";

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

  async function inputs() {
    const { host, port, user, password } = adminConfig();
    const files = await migrationFiles(dir, false);
    return {
      environment: "dev",
      connection: { host, port, database, user, password: secret(password), sslMode: "disable" },
      dir,
      migrationsJson: JSON.stringify(Object.fromEntries(files.map((f) => [f.filename, f.checksum]))),
      predecessor: null,
      predecessorApplied: null,
      preview: false,
      backup: { kind: "none" },
      operator: "test",
    };
  }

  it("create applies with plain values and returns the connection's password still secret", async () => {
    const ins = await inputs();
    const created = await provider.create?.(URN, ins);
    expect(created?.outs.connection.password).toEqual(ins.connection.password);
    expect(recordedApplied(created?.outs).map((e) => e.version)).toEqual(["1"]);
    // The state keeps what the provider reads back; the files and what the predecessor applied stay in the inputs.
    expect(Object.keys(created?.outs).sort()).toEqual([
      "applied",
      "backup",
      "connection",
      "environment",
      "lastBackup",
      "operator",
      "schemaVersion",
    ]);
    expect(JSON.stringify(created?.outs)).not.toContain(`"password":"${adminConfig().password}"`);
  });

  it("a failed apply records the database's ledger as state, the password secret in it", async () => {
    writeFileSync(join(dir, "0002_b.sql"), "-- migrate:up\nCREATE TABLE b (id int;\n-- migrate:down\nDROP TABLE b;\n");
    const olds = { ...(await inputs()), applied: summaryOf([]), schemaVersion: null, lastBackup: null };
    const news = await inputs();
    const failure = await provider.update?.("migrations", URN, olds, news).catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toContain("0002_b.sql");
    expect(failure.properties.connection.password).toEqual(news.connection.password);
    expect(recordedApplied(failure.properties).map((e) => e.version)).toEqual(["1"]);
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
    const files = await migrationFiles(dir, false);
    const ins = {
      environment: "dev",
      connection: { host, port, database, user, password: secret(password), sslMode: "disable" },
      dir,
      migrationsJson: JSON.stringify(Object.fromEntries(files.map((f) => [f.filename, f.checksum]))),
      predecessor: null,
      predecessorApplied: null,
      preview: false,
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
      expect(recordedApplied((await created)?.outs).map((e) => e.version)).toEqual(["1"]);
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
    const props = {
      environment: "dev",
      connection: {
        host,
        port,
        database: "precog_no_such_database",
        user,
        password: secret(password),
        sslMode: "disable",
      },
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
        "Check DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD (or --database-url) and that the server is running.",
    );
  });
});
