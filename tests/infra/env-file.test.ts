import { describe, expect, it } from "vitest";
import { type LocalStackOutputs, renderEnvFile } from "../../scripts/env-file";

const dev: LocalStackOutputs = {
  environment: "dev",
  server: "local",
  host: "127.0.0.1",
  port: 54329,
  database: "precog_dev",
  roles: {
    databaseOwner: "precog_dev_dbowner",
    owner: "precog_dev_owner",
    migrator: "precog_dev_migrator",
    app: "precog_dev_user",
    readonly: "precog_dev_readonly",
  },
  pool: { min: 2, max: 10 },
  credentials: { migrator: { password: "migrator456" }, app: { password: "pw123" }, readonly: { password: "ro789" } },
};

describe("renderEnvFile", () => {
  it("writes the app's variables and the migration login (the migrator) for a local stack", () => {
    expect(renderEnvFile(dev)).toBe(
      '# Written by scripts/env-file.ts from stack "dev"; do not commit.\n' +
        "PRECOG_ENV=dev\nDB_HOST=127.0.0.1\nDB_PORT=54329\nDB_NAME=precog_dev\nDB_USER=precog_dev_user\n" +
        "DB_PASSWORD=pw123\nDB_MIGRATION_USER=precog_dev_migrator\nDB_MIGRATION_PASSWORD=migrator456\n" +
        "DB_POOL_MIN_CONN=2\nDB_POOL_MAX_CONN=10\n",
    );
  });
  it("refuses prod", () => {
    expect(() => renderEnvFile({ ...dev, environment: "prod" })).toThrow(
      "Refusing to write an env file for prod: prod credentials stay in Secrets Manager.",
    );
  });
  it("refuses an aws stack", () => {
    expect(() =>
      renderEnvFile({
        ...dev,
        environment: "staging",
        server: "aws",
        credentials: { migrator: { password: null }, app: { password: null }, readonly: { password: null } },
      }),
    ).toThrow(
      'Stack "staging" keeps its credentials in Secrets Manager (server: aws); the app reads them from there, so there is no env file to write.',
    );
  });
});
