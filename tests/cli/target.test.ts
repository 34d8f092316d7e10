/**
 * Working out the target from variables: table-driven, exact error text; .env parsing; pgpass
 * lookup; and redaction of secrets from printed text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDotEnv, pgpassLookup, redact, resolveTarget } from "../../src/cli/target";

const none = mkdtempSync(join(tmpdir(), "precog-empty-"));

describe("resolveTarget", () => {
  it.each([
    [{}, undefined, "dev", { host: "127.0.0.1", port: 54329, user: "postgres", database: "precog_dev" }],
    [{ PRECOG_ENV: "test" }, undefined, "test", { host: "127.0.0.1", port: 54329, user: "postgres", database: "precog_test" }],
    [{ DB_NAME: "precog_test", DB_PORT: "6000" }, undefined, "test", { host: "127.0.0.1", port: 6000, user: "postgres", database: "precog_test" }],
    [
      { DB_HOST: "db.internal", DB_NAME: "precog_staging", DB_USER: "precog_admin", DB_PASSWORD: "pw123" },
      undefined,
      "staging",
      { host: "db.internal", port: 5432, user: "precog_admin", database: "precog_staging", password: "pw123" },
    ],
    [{}, "postgresql://u:p%40ss@h:5433/precog_prod", "prod", "postgresql://u:p%40ss@h:5433/precog_prod"],
    [{ PRECOG_ENV: "dev" }, "postgresql://u@h/precog_prod", "dev", "postgresql://u@h/precog_prod"],
  ])("%j with url %s -> %s", (vars, url, env, connection) => {
    const t = resolveTarget(vars, url, none);
    expect(t.choice.env).toBe(env);
    expect(t.connection).toEqual(connection);
  });

  it.each([
    [{ PRECOG_ENV: "prod" }, undefined, "prod has no local default: set DB_HOST, DB_NAME, DB_USER (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url."],
    [{ PRECOG_ENV: "staging", DB_HOST: "h", DB_USER: "u" }, undefined, "staging has no local default: set DB_NAME (and DB_PORT, DB_PASSWORD) in the environment or .env, or pass --database-url."],
    [{ DB_PORT: "54x" }, undefined, 'DB_PORT="54x" is not a port number.'],
    [{}, "not a url", "--database-url is not a URL: expected postgresql://user:password@host:port/database"],
    [{}, "mysql://u:p@h/db", "--database-url must start with postgresql://, not mysql://"],
    [{ PRECOG_ENV: "qa" }, undefined, 'PRECOG_ENV="qa" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.'],
  ])("%j with url %s fails", (vars, url, message) => {
    expect(() => resolveTarget(vars, url, none)).toThrow(new Error(message));
  });

  it("takes a local environment's password from the local cluster's pgpass file", () => {
    const cwd = mkdtempSync(join(tmpdir(), "precog-cwd-"));
    try {
      const pgpass = join(cwd, ".local/pg/pgpass");
      mkdirSync(join(cwd, ".local/pg"), { recursive: true });
      writeFileSync(pgpass, "127.0.0.1:54329:*:postgres:s3cr:et\\:x\n");
      expect(resolveTarget({}, undefined, cwd)).toMatchObject({ connection: { password: "s3cr:et:x" }, secrets: ["s3cr:et:x"] });
      expect(pgpassLookup(pgpass, "127.0.0.1", 5432, "d", "postgres")).toBeUndefined();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe("parseDotEnv", () => {
  it("reads KEY=VALUE lines the usual way", () => {
    expect(parseDotEnv("# c\nexport A=1\nB = 'two words'\nC=\"x#y\"\nD=plain # note\n\nnot a line\nE=")).toEqual({ A: "1", B: "two words", C: "x#y", D: "plain", E: "" });
  });
});

describe("redact", () => {
  it.each([
    ["connect postgresql://u:hunter2@h/db failed", [], "connect postgresql://u:***@h/db failed"],
    ["password hunter2 leaked", ["hunter2"], "password *** leaked"],
    ["nothing here", ["hunter2"], "nothing here"],
  ])("%s", (text, secrets, expected) => {
    expect(redact(text, secrets)).toBe(expected);
  });
});
