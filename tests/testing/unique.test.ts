import { describe, expect, it } from "vitest";
import { forceTestEnvironment, isTestDatabaseName, uniqueId, workerTag } from "../../src/testing";

describe("uniqueId", () => {
  it("is unique across many calls and carries this worker", () => {
    const ids = Array.from({ length: 10_000 }, () => uniqueId("mkt"));
    expect(new Set(ids).size).toBe(ids.length);
    const pool = process.env.VITEST_POOL_ID;
    expect(pool).toBeDefined();
    for (const id of ids.slice(0, 50)) expect(id).toMatch(new RegExp(`^mkt_w${pool}_[0-9]+_[0-9a-f]{6}$`));
    expect(uniqueId()).toMatch(/^t_w/);
  });

  it("tags by worker inside vitest and by process outside it", () => {
    expect(workerTag({ VITEST_POOL_ID: "3" })).toBe("w3");
    expect(workerTag({})).toBe(`p${process.pid}`);
  });
});

describe("forceTestEnvironment", () => {
  it("sets PRECOG_ENV=test and returns what was there", () => {
    const env: Record<string, string | undefined> = { PRECOG_ENV: "prod" };
    expect(forceTestEnvironment(env)).toBe("prod");
    expect(env.PRECOG_ENV).toBe("test");
    expect(forceTestEnvironment({})).toBeUndefined();
  });
});

describe("isTestDatabaseName", () => {
  it.each([
    ["precog_test", true],
    ["precog_test_ab12", true],
    ["CI_Test", true],
    ["precog_dev", false],
    ["precog_staging", false],
    ["prod_copy_for_test", false],
    ["postgres", false],
  ])("%s -> %s", (name, expected) => {
    expect(isTestDatabaseName(name)).toBe(expected);
  });
});
