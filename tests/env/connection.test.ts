/**
 * The shared connection resolver (src/env/connection.ts), by table: what the command and the app
 * both get from the same variables, and the exact message for each bad value.
 */
import { describe, expect, it } from "vitest";
import { type ResolvedConnection, resolveConnection } from "../../src/env/connection";

function resolve(vars: Record<string, string>, options = {}): { connection: ResolvedConnection; problems: string[] } {
  const problems: string[] = [];
  return { connection: resolveConnection(vars, problems, options), problems };
}

describe("resolveConnection: values", () => {
  it.each<[string, Record<string, string>, object]>([
    [
      "dev: the local cluster",
      {},
      {
        env: "dev",
        host: "127.0.0.1",
        port: 54329,
        database: "precog_dev",
        tls: { mode: "disable" },
        connectTimeoutMillis: 10000,
      },
    ],
    [
      "prod: 5432 and verify-full",
      { PRECOG_ENV: "prod", DB_HOST: "db" },
      {
        port: 5432,
        tls: { mode: "verify-full", rootCert: undefined },
        app: { user: "precog_app_user", password: undefined, passwordVariable: "DB_PASSWORD" },
      },
    ],
    [
      "the migration login beside the app's",
      { DB_USER: "app", DB_PASSWORD: "a", DB_MIGRATION_USER: "owner", DB_MIGRATION_PASSWORD: "o" },
      {
        app: { user: "app", password: "a" },
        migration: { user: "owner", password: "o", passwordVariable: "DB_MIGRATION_PASSWORD" },
      },
    ],
    ["no migration login unless DB_MIGRATION_USER is set", {}, { migration: undefined }],
    [
      "every libpq mode",
      { DB_SSLMODE: "verify-ca", DB_SSL_ROOT_CERT: "/ca.pem" },
      { tls: { mode: "verify-ca", rootCert: "/ca.pem" } },
    ],
    ["a connect timeout in seconds", { DB_CONNECT_TIMEOUT: "600" }, { connectTimeoutMillis: 600_000 }],
    ["PGPASSWORD kept as the fallback", { PGPASSWORD: "pg" }, { pgPassword: "pg" }],
    [
      "empty values count as unset",
      { DB_PORT: "", DB_SSLMODE: "", DB_CONNECT_TIMEOUT: "", DB_PASSWORD: "" },
      { port: 54329, tls: { mode: "disable" }, app: { password: undefined } },
    ],
    ["a secret supplies the server", { PRECOG_ENV: "prod" }, { host: undefined, port: undefined, database: undefined }],
  ])("%s", (label, vars, expected) => {
    const { connection, problems } = resolve(vars, label.includes("secret") ? { allowMissingServer: true } : {});
    expect(problems).toEqual([]);
    expect(connection).toMatchObject(expected);
  });
});

describe("resolveConnection: bad values name their variable", () => {
  const port = (v: string) => `DB_PORT="${v}" is not a TCP port: use digits only, 1 to 65535.`;
  it.each<[Record<string, string>, string]>([
    // The command used to take these as 5432 (Number() accepts them); they are typos, not ports.
    [{ DB_PORT: " 5432" }, port(" 5432")],
    [{ DB_PORT: "+5432" }, port("+5432")],
    [{ DB_PORT: "5432.0" }, port("5432.0")],
    [{ DB_PORT: "5.432e3" }, port("5.432e3")],
    [{ DB_PORT: "0x1538" }, port("0x1538")],
    [{ DB_PORT: "65536" }, port("65536")],
    [{ DB_SSLMODE: "on" }, 'DB_SSLMODE="on" is not one of disable, allow, prefer, require, verify-ca, verify-full.'],
    [
      { DB_SSLMODE: "REQUIRE" },
      'DB_SSLMODE="REQUIRE" is not one of disable, allow, prefer, require, verify-ca, verify-full.',
    ],
    [{ DB_CONNECT_TIMEOUT: "0" }, 'DB_CONNECT_TIMEOUT="0" is not a connect timeout: use whole seconds, 1 to 600.'],
    [{ DB_CONNECT_TIMEOUT: "2.5" }, 'DB_CONNECT_TIMEOUT="2.5" is not a connect timeout: use whole seconds, 1 to 600.'],
    [{ DB_CONNECT_TIMEOUT: "601" }, 'DB_CONNECT_TIMEOUT="601" is not a connect timeout: use whole seconds, 1 to 600.'],
    [
      { DB_MIGRATION_PASSWORD: "o" },
      "DB_MIGRATION_PASSWORD is set without DB_MIGRATION_USER: set the migration login's user too, or unset both.",
    ],
    [{ PRECOG_ENV: "staging" }, "DB_HOST is not set: staging runs on AWS, so set DB_HOST."],
  ])("%j", (vars, message) => {
    expect(resolve(vars).problems).toEqual([message]);
  });

  it("names the caller's alternative to DB_HOST", () => {
    expect(resolve({ PRECOG_ENV: "prod" }, { hostAlternative: "DB_SECRET_ID" }).problems).toEqual([
      "DB_HOST is not set: prod runs on AWS, so set DB_HOST or DB_SECRET_ID.",
    ]);
  });
});
