import { describe, expect, it } from "vitest";
import {
  assertDatabaseMatches,
  assertProdConfirmed,
  getEnvironment,
  requireEnvironment,
  selectEnvironment,
} from "../../src/env/environment";

describe("selectEnvironment", () => {
  const cases: Array<[string, Record<string, string>, string, string]> = [
    ["nothing set", {}, "dev", "default"],
    ["PRECOG_ENV=test", { PRECOG_ENV: "test" }, "test", "PRECOG_ENV"],
    ["PRECOG_ENV=prod", { PRECOG_ENV: "prod" }, "prod", "PRECOG_ENV"],
    ["PRECOG_ENV wins over DB_NAME", { PRECOG_ENV: "staging", DB_NAME: "precog_test" }, "staging", "PRECOG_ENV"],
    ["DB_NAME precog_test", { DB_NAME: "precog_test" }, "test", "DB_NAME"],
    ["DB_NAME precog_staging", { DB_NAME: "precog_staging" }, "staging", "DB_NAME"],
    ["DB_NAME precog_prod", { DB_NAME: "precog_prod" }, "prod", "DB_NAME"],
    ["DB_NAME precog_dev", { DB_NAME: "precog_dev" }, "dev", "default"],
    ["empty PRECOG_ENV falls through", { PRECOG_ENV: "", DB_NAME: "precog_test" }, "test", "DB_NAME"],
  ];
  it.each(cases)("%s", (_label, vars, env, source) => {
    expect(selectEnvironment(vars)).toEqual({ env, source });
  });

  it("rejects an unknown PRECOG_ENV, naming the value", () => {
    expect(() => getEnvironment({ PRECOG_ENV: "production" })).toThrow(
      'PRECOG_ENV="production" is not an environment: use one of dev, test, staging, prod, or unset PRECOG_ENV to infer it from DB_NAME.',
    );
  });

  it("rejects a DB_NAME that names two environments", () => {
    expect(() => getEnvironment({ DB_NAME: "prod_copy_for_test" })).toThrow(
      'DB_NAME="prod_copy_for_test" names more than one environment (test, prod): set PRECOG_ENV to say which one is meant.',
    );
  });
});

describe("requireEnvironment", () => {
  it("returns the environment when it matches", () => {
    expect(requireEnvironment("test", { PRECOG_ENV: "test" })).toBe("test");
  });
  it("names the required and the current environment", () => {
    expect(() => requireEnvironment("test", { DB_NAME: "precog_prod" })).toThrow(
      "This needs the test environment, but the current one is prod (from DB_NAME). Set PRECOG_ENV=test to select it.",
    );
  });
});

describe("assertProdConfirmed", () => {
  it("refuses prod without PRECOG_PROD_CONFIRMED=yes", () => {
    expect(() => assertProdConfirmed("prod", "migrate", { PRECOG_PROD_CONFIRMED: "true" })).toThrow(
      'Refusing to migrate on prod: PRECOG_PROD_CONFIRMED is not "yes".',
    );
  });
  it("allows prod with confirmation and other environments without", () => {
    expect(() => assertProdConfirmed("prod", "migrate", { PRECOG_PROD_CONFIRMED: "yes" })).not.toThrow();
    expect(() => assertProdConfirmed("staging", "migrate", {})).not.toThrow();
  });
});

describe("assertDatabaseMatches", () => {
  it.each([
    ["dev", "precog_dev"],
    ["dev", "mydb"],
    ["prod", "precog_prod"],
    ["test", "precog_test_ab12"],
    ["staging", undefined],
  ] as const)("%s with %s passes", (env, db) => {
    expect(() => assertDatabaseMatches(env, db)).not.toThrow();
  });

  it("refuses a stale PRECOG_ENV pointed at a prod database", () => {
    expect(() => assertDatabaseMatches("dev", "precog_prod", "the URL's database")).toThrow(
      'The environment is dev, but the target database "precog_prod" (the URL\'s database) is a prod database. ' +
        "Set PRECOG_ENV=prod to work on it deliberately (with its guards), or point at the dev database.",
    );
  });

  it("refuses a test environment pointed at staging", () => {
    expect(() => assertDatabaseMatches("test", "precog_staging")).toThrow(
      'The environment is test, but the target database "precog_staging" (DB_NAME) is a staging database.',
    );
  });
});
