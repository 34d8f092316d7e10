import { describe, expect, it } from "vitest";
import { resolvePoolLimits, resolveSettings } from "../../src/app";

describe("resolveSettings: defaults per environment", () => {
  const cases: Array<[string, Record<string, string>, object]> = [
    [
      "dev by default: the local cluster",
      {},
      {
        env: "dev",
        host: "127.0.0.1",
        port: 54329,
        database: "precog_dev",
        poolMin: undefined,
        tls: { mode: "disable", rootCert: undefined },
        connectTimeoutMillis: 10000,
        applicationName: "precog-dev",
      },
    ],
    [
      "test from PRECOG_ENV",
      { PRECOG_ENV: "test" },
      {
        env: "test",
        database: "precog_test",
        credentials: { kind: "environment", user: "precog_test_user", password: undefined },
      },
    ],
    [
      "test inferred from DB_NAME",
      { DB_NAME: "precog_test_ab12" },
      { env: "test", envSource: "DB_NAME", database: "precog_test_ab12" },
    ],
    [
      "staging needs a host",
      { PRECOG_ENV: "staging", DB_HOST: "db.internal" },
      { env: "staging", host: "db.internal", port: 5432, tls: { mode: "verify-full", rootCert: undefined } },
    ],
    [
      "prod app role",
      { PRECOG_ENV: "prod", DB_HOST: "db" },
      { credentials: { kind: "environment", user: "precog_app_user", password: undefined } },
    ],
    [
      "variables win",
      {
        DB_PORT: "6543",
        DB_USER: "me",
        DB_PASSWORD: "pw",
        DB_POOL_MIN_CONN: "0",
        DB_POOL_MAX_CONN: "3",
        DB_SSLMODE: "require",
        DB_APPLICATION_NAME: "x",
        DB_CONNECT_TIMEOUT: "3",
      },
      {
        port: 6543,
        credentials: { kind: "environment", user: "me", password: "pw" },
        poolMin: 0,
        poolMax: 3,
        tls: { mode: "require" },
        connectTimeoutMillis: 3000,
        applicationName: "x",
      },
    ],
    [
      "empty pool variables count as unset",
      { DB_POOL_MIN_CONN: "", DB_POOL_MAX_CONN: "" },
      { poolMin: undefined, poolMax: undefined },
    ],
    [
      "a secret supplies the connection",
      { PRECOG_ENV: "staging", DB_SECRET_ID: "arn:secret" },
      {
        host: undefined,
        port: undefined,
        database: undefined,
        credentials: { kind: "secret", secretId: "arn:secret" },
      },
    ],
    [
      "a secret with the proxy's host and port",
      { PRECOG_ENV: "prod", DB_SECRET_ID: "s", DB_HOST: "proxy", DB_PORT: "5433" },
      { host: "proxy", port: 5433, credentials: { kind: "secret", secretId: "s" } },
    ],
  ];
  it.each(cases)("%s", (_label, vars, expected) => {
    expect(resolveSettings(vars)).toMatchObject(expected);
  });
});

describe("resolveSettings: invalid values name their variable", () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ DB_POOL_MAX_CONN: "ten" }, 'DB_POOL_MAX_CONN="ten" is not a whole number of connections.'],
    [{ DB_POOL_MIN_CONN: "2.5" }, 'DB_POOL_MIN_CONN="2.5" is not a whole number of connections.'],
    [{ DB_POOL_MIN_CONN: "1e3" }, 'DB_POOL_MIN_CONN="1e3" is not a whole number of connections.'],
    [{ DB_POOL_MAX_CONN: " 5" }, 'DB_POOL_MAX_CONN=" 5" is not a whole number of connections.'],
    [{ DB_POOL_MIN_CONN: "-1" }, 'DB_POOL_MIN_CONN="-1" is negative: use a whole number of connections, at least 0.'],
    [{ DB_POOL_MAX_CONN: "-4" }, 'DB_POOL_MAX_CONN="-4" is negative: use a whole number of connections, at least 1.'],
    [{ DB_POOL_MAX_CONN: "0" }, "DB_POOL_MAX_CONN=0 is below 1: a pool needs at least 1 connection here."],
    [{ DB_POOL_MIN_CONN: "9", DB_POOL_MAX_CONN: "4" }, "DB_POOL_MIN_CONN=9 is above DB_POOL_MAX_CONN=4."],
    [{ DB_PORT: "0" }, 'DB_PORT="0" is not a TCP port: use digits only, 1 to 65535.'],
    [{ DB_PORT: "http" }, 'DB_PORT="http" is not a TCP port: use digits only, 1 to 65535.'],
    [
      { DB_SSLMODE: "verify_full" },
      'DB_SSLMODE="verify_full" is not one of disable, allow, prefer, require, verify-ca, verify-full.',
    ],
    [{ DB_CONNECT_TIMEOUT: "0" }, 'DB_CONNECT_TIMEOUT="0" is not a connect timeout: use whole seconds, 1 to 600.'],
    [{ PRECOG_ENV: "prod" }, "DB_HOST is not set: prod runs on AWS, so set DB_HOST or DB_SECRET_ID."],
    [
      { DB_SECRET_ID: "s", DB_USER: "u", DB_PASSWORD: "p" },
      "DB_SECRET_ID is set, so the connection comes from that secret; unset DB_USER, DB_PASSWORD (a second source would be silently ignored or silently win).",
    ],
  ];
  it.each(cases)("%j", (vars, message) => {
    expect(() => resolveSettings(vars)).toThrow(new Error(`Invalid database settings: ${message}`));
  });

  it("reports every problem at once", () => {
    expect(() => resolveSettings({ DB_POOL_MIN_CONN: "x", DB_POOL_MAX_CONN: "y", DB_PORT: "z" })).toThrow(
      new Error(
        'Invalid database settings: DB_PORT="z" is not a TCP port: use digits only, 1 to 65535. ' +
          'DB_POOL_MIN_CONN="x" is not a whole number of connections. DB_POOL_MAX_CONN="y" is not a whole number of connections.',
      ),
    );
  });

  it("passes environment errors through, naming the value", () => {
    expect(() => resolveSettings({ PRECOG_ENV: "qa" })).toThrow(
      'PRECOG_ENV="qa" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.',
    );
  });
});

describe("resolvePoolLimits", () => {
  const fallback = { min: 2, max: 25, origin: "the test default" };
  it.each([
    [
      { poolMin: undefined, poolMax: undefined },
      { min: 2, max: 25 },
    ],
    [
      { poolMin: 0, poolMax: undefined },
      { min: 0, max: 25 },
    ],
    [
      { poolMin: undefined, poolMax: 2 },
      { min: 2, max: 2 },
    ],
    [
      { poolMin: 3, poolMax: 3 },
      { min: 3, max: 3 },
    ],
  ])("%j gives %j", (set, limits) => {
    expect(resolvePoolLimits(set, fallback)).toEqual(limits);
  });

  it.each([
    [
      { poolMin: 30, poolMax: undefined },
      "Invalid database settings: DB_POOL_MIN_CONN=30 is above the pool maximum of 25 (the test default); lower it or set DB_POOL_MAX_CONN.",
    ],
    [
      { poolMin: undefined, poolMax: 1 },
      "Invalid database settings: DB_POOL_MAX_CONN=1 is below the pool minimum of 2 (the test default); raise it or set DB_POOL_MIN_CONN.",
    ],
  ])("%j is rejected", (set, message) => {
    expect(() => resolvePoolLimits(set, fallback)).toThrow(new Error(message));
  });

  it("rejects a fallback whose own bounds are inverted", () => {
    expect(() =>
      resolvePoolLimits({ poolMin: undefined, poolMax: undefined }, { min: 9, max: 3, origin: 'from the secret "s"' }),
    ).toThrow(new Error('Invalid database settings: the pool minimum 9 is above the maximum 3 (from the secret "s").'));
  });
});
