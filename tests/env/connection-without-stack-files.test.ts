/**
 * A deployed application with every connection variable set never reads the project's stack files:
 * the committed `Pulumi.<env>.yaml` only gives defaults for variables left unset. The stack-file
 * reader is replaced by one that fails, as it would where the app ships without the project's files.
 */
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/config/stack-file", () => ({
  committedStack: vi.fn(() => {
    throw new Error("no Pulumi.yaml here");
  }),
}));

import { environmentPoolFallback, resolvePoolLimits } from "../../src/app/settings";
import { resolveConnection } from "../../src/env/connection";

const EVERYTHING = {
  PRECOG_ENV: "staging",
  DB_HOST: "db.internal",
  DB_PORT: "5432",
  DB_NAME: "precog_staging",
  DB_USER: "precog_staging_user",
  DB_PASSWORD: "x",
  DB_SSLMODE: "verify-full",
};

describe("connection settings without the project's stack files", () => {
  it("resolve with every variable set, reading no stack file", () => {
    const problems: string[] = [];
    const c = resolveConnection(EVERYTHING, problems);
    expect(problems).toEqual([]);
    expect([c.env, c.host, c.port, c.database, c.app.user, c.tls.mode]).toEqual([
      "staging",
      "db.internal",
      5432,
      "precog_staging",
      "precog_staging_user",
      "verify-full",
    ]);
  });

  it("take the pool bounds from DB_POOL_MIN_CONN and DB_POOL_MAX_CONN without the stack file", () => {
    expect(resolvePoolLimits({ poolMin: 5, poolMax: 25 }, environmentPoolFallback("staging"))).toEqual({
      min: 5,
      max: 25,
    });
  });

  it("read the stack file for a variable left unset (here it is missing, and says so)", () => {
    const { DB_USER: _, ...withoutUser } = EVERYTHING;
    expect(() => resolveConnection(withoutUser, [])).toThrow("no Pulumi.yaml here");
    expect(() => resolvePoolLimits({ poolMin: 5, poolMax: undefined }, environmentPoolFallback("staging"))).toThrow(
      "no Pulumi.yaml here",
    );
  });
});
