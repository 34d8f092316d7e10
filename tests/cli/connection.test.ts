/**
 * The command's connection through the shared resolver (issue 9, items 4, 10, 23, 24), against real
 * servers: DB_SSLMODE as libpq on a cluster with TLS and on the run's cluster without it, an unknown
 * mode named, a connect timeout against a socket that never answers, a missing password said
 * plainly, and pg_dump given exactly the target's connection whatever PG* the caller has set.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { withClient } from "../../testbed/client";
import { gatedProject } from "../helpers/gated-project";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { startTlsCluster, type TlsCluster } from "../helpers/tls-cluster";
import { dbEnv, migrationsDir, removeDir, runCli, sql } from "../migrate/helpers";

/** A migration that records whether its own session is encrypted. */
const RECORD_SSL = sql(
  "CREATE TABLE seen_ssl AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();",
  "DROP TABLE seen_ssl;",
);

let dir: string;
let cwd: string;
beforeEach(() => {
  dir = migrationsDir({ "0001_ssl.sql": RECORD_SSL });
  cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
});
afterEach(() => {
  removeDir(dir);
  rmSync(cwd, { recursive: true, force: true });
});

describe("on the run's cluster, which offers no TLS", () => {
  let db: string;
  beforeEach(async () => {
    db = await createScratchDatabase("cli_conn");
  });
  afterEach(async () => dropDatabase(db));
  const applied = async () =>
    withAdmin((c) => c.query("SELECT count(*)::int AS n FROM precog_migrations.history"), db).then(
      (r) => r.rows[0].n,
      () => 0,
    );

  it.each(["require", "verify-ca", "verify-full"])("DB_SSLMODE=%s is refused, never downgraded", async (mode) => {
    const r = await runCli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev", DB_SSLMODE: mode }, { cwd });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(`DB_SSLMODE=${mode} needs TLS, but the server at postgres@127.0.0.1:`),
    ]);
    expect(await applied()).toBe(0);
  });

  it("an unknown DB_SSLMODE is an error naming the variable, before anything connects", async () => {
    const r = await runCli(["migrate", "--dir", dir], { ...dbEnv(db), PRECOG_ENV: "dev", DB_SSLMODE: "on" }, { cwd });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining('DB_SSLMODE="on" is not one of disable, allow, prefer, require, verify-ca, verify-full.'),
    ]);
    expect(await applied()).toBe(0);
  });

  it("prefer connects in plaintext to a server without TLS", async () => {
    const r = await runCli(
      ["migrate", "--dir", dir],
      { ...dbEnv(db), PRECOG_ENV: "dev", DB_SSLMODE: "prefer" },
      { cwd },
    );
    expect(r.code).toBe(0);
    const seen = await withAdmin((c) => c.query("SELECT ssl FROM seen_ssl"), db);
    expect(seen.rows).toEqual([{ ssl: false }]);
  });

  it("the same rules apply to --database-url: an unknown sslmode is named", async () => {
    const e = dbEnv(db);
    const url = `postgresql://${e.DB_USER}:${encodeURIComponent(e.DB_PASSWORD)}@${e.DB_HOST}:${e.DB_PORT}/${db}`;
    const bad = await runCli(["migrate", "--dir", dir, "--database-url", `${url}?sslmode=yes`], { PRECOG_ENV: "dev" });
    expect([bad.code, bad.stderr]).toEqual([
      1,
      expect.stringContaining('sslmode="yes" in --database-url is not one of disable, allow, prefer, require'),
    ]);
    const req = await runCli(["migrate", "--dir", dir, "--database-url", `${url}?sslmode=require`], {
      PRECOG_ENV: "dev",
    });
    expect([req.code, req.stderr]).toEqual([1, expect.stringContaining("DB_SSLMODE=require needs TLS")]);
    expect(await applied()).toBe(0);
  });

  it("a missing password is said plainly, naming the variable", async () => {
    const { DB_PASSWORD: _, ...noPassword } = dbEnv(db);
    const r = await runCli(["status", "--dir", dir], { ...noPassword, PRECOG_ENV: "test" }, { cwd });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(
        "but DB_PASSWORD is not set (nor PGPASSWORD): set DB_PASSWORD in the environment or .env.",
      ),
    ]);
    expect(r.stderr).not.toContain("SASL");
  });

  it("DB_MIGRATION_USER and DB_MIGRATION_PASSWORD are the command's login when set", async () => {
    const e = dbEnv(db);
    const r = await runCli(
      ["migrate", "--dir", dir],
      {
        ...e,
        DB_USER: "precog_nobody",
        DB_PASSWORD: "x",
        DB_MIGRATION_USER: e.DB_USER,
        DB_MIGRATION_PASSWORD: e.DB_PASSWORD,
        PRECOG_ENV: "dev",
      },
      { cwd },
    );
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining(`${e.DB_USER}@127.0.0.1:${e.DB_PORT}/${db} (dev)`)]);
    expect(await applied()).toBe(1);
  });

  it("pg_dump gets exactly the target's connection: the caller's PGHOSTADDR, PGSERVICE, PGPASSFILE do not reach it", async () => {
    const backups = join(cwd, "bk");
    // staging follows test: a project whose test stack has applied these files.
    const project = await gatedProject("staging", "test", "files", dir);
    const r = await runCli(
      ["migrate", "--dir", dir, "--backup-dir", backups],
      {
        ...dbEnv(db),
        ...project.env,
        PRECOG_ENV: "staging",
        DB_SSLMODE: "disable",
        PGHOSTADDR: "127.0.0.2",
        PGSERVICE: "precog_no_such_service",
        PGPASSFILE: join(cwd, "no-such-pgpass"),
        PGDATABASE: "postgres",
        PGSSLMODE: "verify-full",
        PGCONNECT_TIMEOUT: "abc",
      },
      { cwd: project.cwd },
    );
    project.remove();
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("1/1 0001_ssl")]);
    expect(readdirSync(backups)).toEqual([expect.stringMatching(/^staging-\d{8}T\d{6}Z-0-to-0001\.dump$/)]);
  });
});

describe("on a cluster that offers TLS (certificate for localhost)", () => {
  let tls: TlsCluster;
  beforeAll(async () => {
    tls = await startTlsCluster();
  });
  afterAll(() => tls?.stop());
  const admin = () => ({ host: "127.0.0.1", port: tls.port, user: "postgres", password: tls.password });
  beforeEach(async () => {
    await withClient({ ...admin(), database: "postgres" }, async (c) => {
      await c.query("DROP TABLE IF EXISTS seen_ssl");
      await c.query("DROP SCHEMA IF EXISTS precog_migrations CASCADE");
      await c.query(`GRANT ALL ON SCHEMA public TO ${tls.tlsOnlyRole}`);
      await c.query(`GRANT CREATE ON DATABASE postgres TO ${tls.tlsOnlyRole}`);
    });
  });
  const vars = (extra: Record<string, string>) => ({
    PRECOG_ENV: "test",
    DB_HOST: "127.0.0.1",
    DB_PORT: String(tls.port),
    DB_NAME: "postgres",
    DB_USER: "postgres",
    DB_PASSWORD: tls.password,
    ...extra,
  });
  const seen = () =>
    withClient({ ...admin(), database: "postgres" }, (c) => c.query("SELECT ssl FROM seen_ssl")).then((r) => r.rows);

  it.each([
    ["disable", {}, false],
    ["prefer", {}, true],
    ["require", {}, true],
    ["verify-ca", { DB_SSL_ROOT_CERT: "CA" }, true],
    ["verify-full", { DB_SSL_ROOT_CERT: "CA", DB_HOST: "localhost" }, true],
  ] as const)("DB_SSLMODE=%s connects as libpq would", async (mode, extra, encrypted) => {
    const withCa = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v === "CA" ? tls.caFile : v]));
    const r = await runCli(["migrate", "--dir", dir], vars({ DB_SSLMODE: mode, ...withCa }), { cwd });
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("1/1 0001_ssl")]);
    expect(await seen()).toEqual([{ ssl: encrypted }]);
  });

  it("allow switches to TLS when the server refuses plaintext", async () => {
    const r = await runCli(["migrate", "--dir", dir], vars({ DB_SSLMODE: "allow", DB_USER: tls.tlsOnlyRole }), { cwd });
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("1/1 0001_ssl")]);
    expect(await seen()).toEqual([{ ssl: true }]);
  });

  it("verify-full to a name the certificate does not carry is refused, saying what to set", async () => {
    const r = await runCli(
      ["status", "--dir", dir],
      vars({ DB_SSLMODE: "verify-full", DB_SSL_ROOT_CERT: tls.caFile }),
      { cwd },
    );
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining("DB_SSLMODE=verify-full: the certificate of the server at postgres@127.0.0.1:"),
    ]);
  });

  it("pg_dump backs up with the same TLS mode and root certificate (a TLS-only role, verify-full)", async () => {
    const backups = join(cwd, "bk");
    const project = await gatedProject("staging", "test", "files", dir);
    const r = await runCli(
      ["migrate", "--dir", dir, "--backup-dir", backups],
      {
        ...vars({
          PRECOG_ENV: "staging",
          DB_HOST: "localhost",
          DB_USER: tls.tlsOnlyRole,
          DB_SSLMODE: "verify-full",
          DB_SSL_ROOT_CERT: tls.caFile,
        }),
        ...project.env,
      },
      { cwd: project.cwd },
    );
    project.remove();
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("1/1 0001_ssl")]);
    expect(readdirSync(backups)).toHaveLength(1);
    expect(await seen()).toEqual([{ ssl: true }]);
  });
});

describe("a server that accepts TCP and never answers", () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => void sockets.push(s));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((ok) => server.close(ok));
  });

  it("fails within DB_CONNECT_TIMEOUT, saying which variable to change", async () => {
    const started = Date.now();
    const r = await runCli(
      ["status", "--dir", dir],
      { PRECOG_ENV: "dev", DB_PORT: String(port), DB_PASSWORD: "x", DB_CONNECT_TIMEOUT: "1" },
      { cwd },
    );
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining(`postgres@127.0.0.1:${port}/precog_dev did not answer within 1 s (DB_CONNECT_TIMEOUT=1)`),
    ]);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it("a bad DB_CONNECT_TIMEOUT is named", async () => {
    const r = await runCli(["status", "--dir", dir], { PRECOG_ENV: "dev", DB_CONNECT_TIMEOUT: "1.5" }, { cwd });
    expect([r.code, r.stderr]).toEqual([
      1,
      expect.stringContaining('DB_CONNECT_TIMEOUT="1.5" is not a connect timeout: use whole seconds, 1 to 600.'),
    ]);
  });
});
