/**
 * Working out the target from variables: table-driven, exact error text; the .env file through
 * the shared loader; pgpass lookup; and redaction of secrets from printed text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadVars, pgpassLookup, resolveTarget } from "../../src/cli/target";
import { maskSecrets } from "../../src/migrate/pg";
import { scratchDir } from "../helpers/scratch-dir";

const none = scratchDir("empty");

describe("resolveTarget", () => {
  it.each([
    [{}, undefined, "dev", { host: "127.0.0.1", port: 54329, user: "postgres", database: "precog_dev" }],
    [
      { PRECOG_ENV: "test" },
      undefined,
      "test",
      { host: "127.0.0.1", port: 54329, user: "postgres", database: "precog_test" },
    ],
    [
      { DB_NAME: "precog_test", DB_PORT: "6000" },
      undefined,
      "test",
      { host: "127.0.0.1", port: 6000, user: "postgres", database: "precog_test" },
    ],
    [
      { DB_HOST: "db.internal", DB_NAME: "precog_staging", DB_USER: "precog_admin", DB_PASSWORD: "pw123" },
      undefined,
      "staging",
      { host: "db.internal", port: 5432, user: "precog_admin", database: "precog_staging", password: "pw123" },
    ],
    [
      {},
      "postgresql://u:p%40ss@h:5433/precog_prod",
      "prod",
      { host: "h", port: 5433, user: "u", database: "precog_prod", password: "p@ss" },
    ],
    [
      { PRECOG_ENV: "dev" },
      "postgresql://u@h/precog_dev2",
      "dev",
      { host: "h", port: 54329, user: "u", database: "precog_dev2" },
    ],
    // The URL replaces the server and login variables, never the migration login's.
    [
      { DB_MIGRATION_USER: "owner", DB_MIGRATION_PASSWORD: "pw", DB_USER: "app" },
      "postgresql://u:secret@h:5/precog_test?sslmode=require&connect_timeout=3",
      "test",
      {
        host: "h",
        port: 5,
        user: "u",
        database: "precog_test",
        password: "secret",
        tls: { mode: "require" },
        connectionTimeoutMillis: 3000,
      },
    ],
    // The migration login wins over DB_USER; staging and prod default to verify-full.
    [
      {
        PRECOG_ENV: "staging",
        DB_HOST: "h",
        DB_NAME: "precog_staging",
        DB_USER: "app",
        DB_PASSWORD: "a",
        DB_MIGRATION_USER: "owner",
        DB_MIGRATION_PASSWORD: "o",
      },
      undefined,
      "staging",
      {
        host: "h",
        port: 5432,
        user: "owner",
        database: "precog_staging",
        password: "o",
        tls: { mode: "verify-full" },
        connectionTimeoutMillis: 10000,
      },
    ],
    // Empty means unset, as in the application.
    [
      { DB_HOST: "", DB_PORT: "", DB_USER: "", DB_NAME: "" },
      undefined,
      "dev",
      { host: "127.0.0.1", port: 54329, user: "postgres", database: "precog_dev" },
    ],
    [
      { PRECOG_ENV: "staging", DB_HOST: "h", DB_PORT: "", DB_NAME: "precog_staging", DB_USER: "u" },
      undefined,
      "staging",
      { host: "h", port: 5432, user: "u", database: "precog_staging" },
    ],
  ])("%j with url %s -> %s", (vars, url, env, connection) => {
    const t = resolveTarget(vars, url, none);
    expect(t.choice.env).toBe(env);
    expect(t.connection).toMatchObject(connection);
    // Without a password anywhere, a function that names the variable to set if the server asks.
    if (!("password" in connection)) expect(t.connection.password).toBeTypeOf("function");
  });

  it.each([
    [
      { PRECOG_ENV: "prod" },
      undefined,
      "prod has no local default: set DB_HOST, DB_NAME, DB_USER (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url.",
    ],
    [
      { PRECOG_ENV: "staging", DB_HOST: "h", DB_USER: "u" },
      undefined,
      "staging has no local default: set DB_NAME (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url.",
    ],
    [{ DB_PORT: "54x" }, undefined, 'DB_PORT="54x" is not a TCP port: use digits only, 1 to 65535.'],
    [{ DB_PORT: " 5432" }, undefined, 'DB_PORT=" 5432" is not a TCP port: use digits only, 1 to 65535.'],
    [
      { DB_SSLMODE: "on", DB_CONNECT_TIMEOUT: "0" },
      undefined,
      'DB_SSLMODE="on" is not one of disable, allow, prefer, require, verify-ca, verify-full. DB_CONNECT_TIMEOUT="0" is not a connect timeout: use whole seconds, 1 to 600.',
    ],
    [
      {},
      "postgresql://u@h/precog_dev?sslmode=on",
      'sslmode="on" in --database-url is not one of disable, allow, prefer, require, verify-ca, verify-full.',
    ],
    [
      {},
      "postgresql://u@h/precog_dev?options=-c%20x",
      '--database-url has the parameter "options", which precog-db does not take: use only sslmode, sslrootcert, connect_timeout, host.',
    ],
    [{}, "not a url", "--database-url is not a URL: expected postgresql://user:password@host:port/database"],
    [{}, "mysql://u:p@h/db", "--database-url must start with postgresql://, not mysql://"],
    [
      { PRECOG_ENV: "staging", DB_HOST: "", DB_NAME: "precog_staging", DB_USER: "u" },
      undefined,
      "staging has no local default: set DB_HOST (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url.",
    ],
    [
      { PRECOG_ENV: "dev" },
      "postgresql://u@h/precog_prod",
      'The environment is dev, but the target database "precog_prod" (the URL\'s database) is a prod database. Set PRECOG_ENV=prod to work on it deliberately (with its guards), or point at the dev database.',
    ],
    [
      { PRECOG_ENV: "dev", DB_NAME: "precog_staging" },
      undefined,
      'The environment is dev, but the target database "precog_staging" (DB_NAME) is a staging database. Set PRECOG_ENV=staging to work on it deliberately (with its guards), or point at the dev database.',
    ],
    [
      { PRECOG_ENV: "test", DB_NAME: "precog_prod" },
      "postgresql://u@h/",
      'The environment is test, but the target database "precog_prod" (DB_NAME) is a prod database. Set PRECOG_ENV=prod to work on it deliberately (with its guards), or point at the test database.',
    ],
    [
      { PRECOG_ENV: "qa" },
      undefined,
      'PRECOG_ENV="qa" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.',
    ],
  ])("%j with url %s fails", (vars, url, message) => {
    expect(() => resolveTarget(vars, url, none)).toThrow(new Error(message));
  });

  it("takes a local environment's password from the local cluster's pgpass file", () => {
    const cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
    try {
      const pgpass = join(cwd, ".local/pg/pgpass");
      mkdirSync(join(cwd, ".local/pg"), { recursive: true });
      writeFileSync(pgpass, "127.0.0.1:54329:*:postgres:s3cr:et\\:x\n");
      expect(resolveTarget({}, undefined, cwd)).toMatchObject({
        connection: { password: "s3cr:et:x" },
        secrets: ["s3cr:et:x"],
      });
      expect(pgpassLookup(pgpass, "127.0.0.1", 5432, "d", "postgres")).toBeUndefined();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("loadVars", () => {
  it("reads <cwd>/.env with the shared loader, the process environment winning, and works without a file", () => {
    const cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
    try {
      expect(loadVars(cwd, { A: "env" })).toEqual({ A: "env" });
      writeFileSync(
        join(cwd, ".env"),
        '# c\nexport A=1\nB = \'two words\'\nC="x#y"\nD=plain # note\nE=\nF="multi\nline"\n',
      );
      expect(loadVars(cwd, { A: "env", G: "" })).toEqual({
        A: "env",
        B: "two words",
        C: "x#y",
        D: "plain",
        E: "",
        F: "multi\nline",
        G: "",
      });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("maskSecrets", () => {
  it.each([
    ["connect postgresql://u:hunter2@h/db failed", [], "connect postgresql://u:***@h/db failed"],
    ["password hunter2 leaked", ["hunter2"], "password *** leaked"],
    ["nothing here", ["hunter2"], "nothing here"],
  ])("%s", (text, secrets, expected) => {
    expect(maskSecrets(text, secrets)).toBe(expected);
  });
});
