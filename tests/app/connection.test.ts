/**
 * The shared connection resolver as the pool uses it, against real servers (issue 9, items 4, 10,
 * 23): TLS modes as libpq on a cluster with TLS and on the run's cluster without it, a bounded
 * connect timeout against a socket that never answers, and a missing password said plainly.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPool, type PrecogPool } from "../../src/app";
import { startTlsCluster, type TlsCluster } from "../helpers/tls-cluster";
import { useTestDatabase } from "./support";

const db = useTestDatabase();

async function encrypted(pool: PrecogPool): Promise<boolean> {
  return (await pool.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl;
}

describe("TLS modes on a server that offers TLS (certificate for localhost, signed by a test CA)", () => {
  let tls: TlsCluster;
  beforeAll(async () => {
    tls = await startTlsCluster();
  });
  afterAll(() => tls?.stop());

  const vars = (extra: Record<string, string>) => ({
    PRECOG_ENV: "test",
    DB_HOST: "127.0.0.1",
    DB_PORT: String(tls.port),
    DB_NAME: "postgres_test_scratch",
    DB_USER: "postgres",
    DB_PASSWORD: tls.password,
    DB_POOL_MIN_CONN: "1",
    ...extra,
  });
  async function open(extra: Record<string, string>): Promise<PrecogPool> {
    // The cluster has only "postgres": connect there (its name points at no environment).
    return openPool({ envFile: false, env: { ...vars(extra), DB_NAME: "postgres" } });
  }

  it.each([
    ["disable", {}, false],
    ["allow", {}, false],
    ["prefer", {}, true],
    ["require", {}, true],
    ["verify-ca", { DB_SSL_ROOT_CERT: "CA" }, true],
    ["verify-full", { DB_SSL_ROOT_CERT: "CA", DB_HOST: "localhost" }, true],
  ] as const)("DB_SSLMODE=%s connects as libpq would", async (mode, extra, expectTls) => {
    const withCa = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v === "CA" ? tls.caFile : v]));
    const pool = await open({ DB_SSLMODE: mode, ...withCa });
    try {
      expect(await encrypted(pool)).toBe(expectTls);
    } finally {
      await pool.end();
    }
  });

  it("allow switches to TLS when the server refuses plaintext", async () => {
    const pool = await open({ DB_SSLMODE: "allow", DB_USER: tls.tlsOnlyRole });
    try {
      expect(await encrypted(pool)).toBe(true);
    } finally {
      await pool.end();
    }
    // And a mode that never encrypts is refused by that server, with the server's own reason.
    await expect(open({ DB_SSLMODE: "disable", DB_USER: tls.tlsOnlyRole })).rejects.toThrow("no encryption");
  });

  it("verify-full refuses a certificate that does not carry the host name, and verify-ca a CA it does not know", async () => {
    const target = `postgres@127.0.0.1:${tls.port}/postgres`;
    await expect(open({ DB_SSLMODE: "verify-full", DB_SSL_ROOT_CERT: tls.caFile })).rejects.toThrow(
      new RegExp(
        `^Cannot open the test pool to ${target}: DB_SSLMODE=verify-full: the certificate of the server at ${target} was refused \\(.+\\): ` +
          "set DB_SSL_ROOT_CERT to the CA bundle that signed it, and check that DB_HOST is a name the certificate carries\\.$",
      ),
    );
    await expect(open({ DB_SSLMODE: "verify-ca" })).rejects.toThrow(
      `DB_SSLMODE=verify-ca: the certificate of the server at ${target} was refused (unable to verify the first certificate): set DB_SSL_ROOT_CERT to the CA bundle that signed it.`,
    );
  });
});

describe("TLS modes on a server without TLS (the run's cluster)", () => {
  it.each(["require", "verify-ca", "verify-full"])(
    "DB_SSLMODE=%s fails, naming the variable, and never falls back to plaintext",
    async (mode) => {
      const v = db.current.vars();
      const target = `${v.DB_USER}@${v.DB_HOST}:${v.DB_PORT}/${v.DB_NAME}`;
      await expect(
        openPool({ envFile: false, env: { ...v, DB_SSLMODE: mode, DB_POOL_MIN_CONN: "1" } }),
      ).rejects.toThrow(
        new Error(
          `Cannot open the test pool to ${target}: DB_SSLMODE=${mode} needs TLS, but the server at ${target} does not offer it: ` +
            "enable TLS on the server, or set DB_SSLMODE=prefer or disable where plaintext is acceptable.",
        ),
      );
    },
  );

  it.each(["prefer", "allow"])("DB_SSLMODE=%s connects in plaintext, as libpq does", async (mode) => {
    const pool = await openPool({
      envFile: false,
      env: { ...db.current.vars(), DB_SSLMODE: mode, DB_POOL_MIN_CONN: "1" },
    });
    try {
      expect(await encrypted(pool)).toBe(false);
    } finally {
      await pool.end();
    }
  });
});

describe("connect timeout", () => {
  let silent: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts TCP and never says a word, like a server stuck or a firewall that swallows packets.
    silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it.each(["disable", "prefer"])(
    "gives up after DB_CONNECT_TIMEOUT seconds with a clear error (DB_SSLMODE=%s)",
    async (mode) => {
      const started = Date.now();
      const target = `u@127.0.0.1:${port}/precog_test`;
      await expect(
        openPool({
          envFile: false,
          env: {
            PRECOG_ENV: "test",
            DB_HOST: "127.0.0.1",
            DB_PORT: String(port),
            DB_USER: "u",
            DB_PASSWORD: "p",
            DB_POOL_MIN_CONN: "1",
            DB_CONNECT_TIMEOUT: "1",
            DB_SSLMODE: mode,
          },
        }),
      ).rejects.toThrow(
        new Error(
          `Cannot open the test pool to ${target}: ${target} did not answer within 1 s (DB_CONNECT_TIMEOUT=1): check DB_HOST and DB_PORT ` +
            "and that the server is up, or raise DB_CONNECT_TIMEOUT (at most 600).",
        ),
      );
      expect(Date.now() - started).toBeLessThan(5000);
    },
    15_000,
  );
});

describe("a missing password", () => {
  it("is named as the variable to set, not pg's SASL message", async () => {
    const { DB_PASSWORD: _unset, ...v } = db.current.vars();
    const target = `${v.DB_USER}@${v.DB_HOST}:${v.DB_PORT}/${v.DB_NAME}`;
    await expect(openPool({ envFile: false, env: { ...v, DB_POOL_MIN_CONN: "1" } })).rejects.toThrow(
      new Error(
        `Cannot open the test pool to ${target}: The server asks for a password for ${target}, but DB_PASSWORD is not set ` +
          "(nor PGPASSWORD): set DB_PASSWORD in the environment or .env.",
      ),
    );
  });

  it("falls back to PGPASSWORD, as libpq does", async () => {
    const { DB_PASSWORD: password, ...v } = db.current.vars();
    const pool = await openPool({ envFile: false, env: { ...v, PGPASSWORD: password, DB_POOL_MIN_CONN: "1" } });
    await pool.end();
  });
});
