/**
 * Every branch of the environment rules, through the application's public API (src/app), and
 * what each branch means for the pool settings the application gets.
 */
import { describe, expect, it } from "vitest";
import { getEnvironment, requireEnvironment, resolveSettings, selectEnvironment } from "../../src/app";

describe("environment rules seen by the application", () => {
  it.each<[string, Record<string, string>, string, string, string]>([
    ["nothing set: dev", {}, "dev", "default", "precog_dev"],
    ["PRECOG_ENV=dev", { PRECOG_ENV: "dev" }, "dev", "PRECOG_ENV", "precog_dev"],
    ["PRECOG_ENV=test", { PRECOG_ENV: "test" }, "test", "PRECOG_ENV", "precog_test"],
    ["PRECOG_ENV=staging", { PRECOG_ENV: "staging", DB_HOST: "h" }, "staging", "PRECOG_ENV", "precog_staging"],
    ["PRECOG_ENV=prod", { PRECOG_ENV: "prod", DB_HOST: "h" }, "prod", "PRECOG_ENV", "precog_prod"],
    [
      "PRECOG_ENV wins over DB_NAME",
      { PRECOG_ENV: "dev", DB_NAME: "precog_test_x" },
      "dev",
      "PRECOG_ENV",
      "precog_test_x",
    ],
    [
      "empty PRECOG_ENV falls through to DB_NAME",
      { PRECOG_ENV: "", DB_NAME: "precog_test" },
      "test",
      "DB_NAME",
      "precog_test",
    ],
    ["DB_NAME with test", { DB_NAME: "ci_TEST_7" }, "test", "DB_NAME", "ci_TEST_7"],
    ["DB_NAME with staging", { DB_NAME: "precog_staging", DB_HOST: "h" }, "staging", "DB_NAME", "precog_staging"],
    ["DB_NAME with prod", { DB_NAME: "precog_prod", DB_HOST: "h" }, "prod", "DB_NAME", "precog_prod"],
    ["DB_NAME naming no environment: dev", { DB_NAME: "precog_dev" }, "dev", "default", "precog_dev"],
  ])("%s", (_label, vars, env, source, database) => {
    expect(selectEnvironment(vars)).toEqual({ env, source });
    expect(getEnvironment(vars)).toBe(env);
    expect(resolveSettings(vars)).toMatchObject({ env, envSource: source, database });
  });

  it.each<[Record<string, string>, string]>([
    [
      { PRECOG_ENV: "production" },
      'PRECOG_ENV="production" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.',
    ],
    [
      { PRECOG_ENV: "Test" },
      'PRECOG_ENV="Test" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.',
    ],
    [
      { DB_NAME: "staging_restore_test" },
      'DB_NAME="staging_restore_test" names more than one environment (test, staging): set PRECOG_ENV to say which one is meant.',
    ],
  ])("rejects %j, naming the value", (vars, message) => {
    expect(() => getEnvironment(vars)).toThrow(new Error(message));
    expect(() => resolveSettings(vars)).toThrow(new Error(message));
  });

  it.each<[Record<string, string>, string | undefined]>([
    [{ PRECOG_ENV: "test" }, undefined],
    [{ DB_NAME: "precog_test" }, undefined],
    [
      {},
      "This needs the test environment, but the current one is dev (from the default, as neither PRECOG_ENV nor DB_NAME says otherwise). Set PRECOG_ENV=test to select it.",
    ],
    [
      { PRECOG_ENV: "staging" },
      "This needs the test environment, but the current one is staging (from PRECOG_ENV). Set PRECOG_ENV=test to select it.",
    ],
    [
      { DB_NAME: "precog_prod" },
      "This needs the test environment, but the current one is prod (from DB_NAME). Set PRECOG_ENV=test to select it.",
    ],
  ])("requireEnvironment('test') with %j", (vars, message) => {
    if (message === undefined) expect(requireEnvironment("test", vars)).toBe("test");
    else expect(() => requireEnvironment("test", vars)).toThrow(new Error(message));
  });
});
