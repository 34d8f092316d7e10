/**
 * The command's migrator login on an aws environment (src/cli/migration-login.ts `withIamLogin`),
 * built as main.ts builds it from the variables or --database-url: an IAM token for the instance's
 * host, port and the migrator, signed with static test credentials (the signer presigns locally),
 * refused when a password is given for it; local environments and other logins keep their passwords.
 */
import { describe, expect, it } from "vitest";
import { withIamLogin, withMigrationLogin } from "../../src/cli/migration-login";
import { resolveTarget, type Target, type Vars } from "../../src/cli/target";
import { type RdsIamLogin, rdsIamToken } from "../../src/env/rds-iam-token";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLETEST00002", secretAccessKey: "test-secret-access-key" };
const HOST = "precog-staging.abc123xyz.us-east-1.rds.amazonaws.com";
const STAGING: Vars = {
  PRECOG_ENV: "staging",
  DB_HOST: HOST,
  DB_PORT: "5432",
  DB_NAME: "precog_staging",
  DB_MIGRATION_USER: "precog_staging_migrator",
};
const signed: RdsIamLogin[] = [];
const sign = (login: RdsIamLogin) => {
  signed.push(login);
  return rdsIamToken({ ...login, credentials: CREDENTIALS });
};
const commandTarget = (vars: Vars, url?: string): Promise<Target> =>
  withIamLogin(
    withMigrationLogin(resolveTarget(vars, url, "/nonexistent"), vars, "apply migrations", !!url),
    vars,
    sign,
  );
const tokenOf = (t: Target) => {
  const c = t.connection as { password?: unknown };
  const url = new URL(`https://${String(c.password)}`);
  return {
    host: url.hostname,
    port: url.port,
    user: url.searchParams.get("DBUser"),
    scope: url.searchParams.get("X-Amz-Credential")?.split("/").slice(2).join("/"),
  };
};

describe("the migrator's IAM login on aws environments", () => {
  it("from the variables: a token for the instance's host, port and the migrator, in the host's region, scrubbed", async () => {
    signed.length = 0;
    const t = await commandTarget(STAGING);
    expect(tokenOf(t)).toEqual({
      host: HOST,
      port: "5432",
      user: "precog_staging_migrator",
      scope: "us-east-1/rds-db/aws4_request",
    });
    expect(t.ownerRole).toBe("precog_staging_owner");
    expect(t.secrets).toContain((t.connection as { password: string }).password);
    expect(signed).toEqual([{ host: HOST, port: 5432, user: "precog_staging_migrator", region: "us-east-1" }]);
  });

  it("from --database-url without a password, in AWS_REGION when set", async () => {
    const vars = { PRECOG_ENV: "prod", AWS_REGION: "eu-west-1" };
    const url = "postgresql://precog_prod_migrator@db.internal.example:6543/precog_prod";
    expect(tokenOf(await commandTarget(vars, url))).toEqual({
      host: "db.internal.example",
      port: "6543",
      user: "precog_prod_migrator",
      scope: "eu-west-1/rds-db/aws4_request",
    });
  });

  it("refuses a password given for the migrator, by variable or URL", async () => {
    const message =
      "precog_staging_migrator logs in to staging by IAM database authentication only, with a token precog-db signs from your AWS credentials: " +
      "unset DB_MIGRATION_PASSWORD (and PGPASSWORD), or leave the password out of --database-url.";
    await expect(commandTarget({ ...STAGING, DB_MIGRATION_PASSWORD: "old-password" })).rejects.toThrow(message);
    await expect(
      commandTarget({ PRECOG_ENV: "staging" }, `postgresql://precog_staging_migrator:pw@${HOST}:5432/precog_staging`),
    ).rejects.toThrow(message);
  });

  it("says which region to set when neither AWS_REGION nor the host tells", async () => {
    await expect(commandTarget({ ...STAGING, DB_HOST: "db.internal.example" })).rejects.toThrow(
      "Cannot tell the AWS region of db.internal.example for its IAM login token: set AWS_REGION to the instance's region.",
    );
  });

  it("leaves other logins and local environments with their passwords", async () => {
    signed.length = 0;
    const other = await commandTarget({ ...STAGING, DB_MIGRATION_USER: "someone_else", DB_MIGRATION_PASSWORD: "pw" });
    expect((other.connection as { password?: unknown }).password).toBe("pw");
    const local = await commandTarget({
      PRECOG_ENV: "dev",
      DB_MIGRATION_USER: "precog_dev_migrator",
      DB_MIGRATION_PASSWORD: "dev-pw",
    });
    expect((local.connection as { password?: unknown }).password).toBe("dev-pw");
    expect(signed).toEqual([]);
  });
});
