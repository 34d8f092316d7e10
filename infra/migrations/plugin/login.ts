/**
 * The migrator's login, resolved by the plugin when it connects, from where the resource's `login`
 * input says it is (../contract.ts `MigrationsLogin`). The password is never an input of the
 * resource, so a rotation of it changes nothing Pulumi compares:
 *
 *   provider-config       (local stacks) the migration provider's config, which the engine hands
 *                         the plugin at Configure (./provider-config.ts)
 *   aws-iam               (aws stacks) an IAM database authentication token for the migrator,
 *                         signed at each login (src/env/rds-iam-token.ts): it has no password
 *
 * A state recorded before the login left the inputs has its connection, password included, in
 * `connection` instead: a refresh of such a state logs in with it.
 */
import { type RdsIamLogin, rdsIamToken } from "../../../src/env/rds-iam-token";
import { singleAttemptSsl } from "../../../src/env/tls";
import type { Connection } from "../../../src/migrate";
import type { MigrationsLogin, MigrationsProviderConfig, MigrationsTarget, RecordedConnection } from "../contract";

/** What the plugin was configured with (./provider-config.ts sets it at Configure; a test sets it too). */
export const providerConfig: { current: MigrationsProviderConfig } = { current: {} };

/** Who signs IAM login tokens: src/env/rds-iam-token.ts with the default AWS credentials; a test puts its stand-in here. */
export const iamTokens: { sign: (login: RdsIamLogin) => Promise<string> } = { sign: rdsIamToken };

/** The login recorded with a resource: its locator, or (an older state) the connection itself. */
export type RecordedLogin = { readonly login?: MigrationsLogin; readonly connection?: RecordedConnection };

/** The connection to open for `recorded`, with the password looked up where its locator says. */
export async function connectionOf(recorded: RecordedLogin): Promise<Connection> {
  if (recorded.login) return withPassword(recorded.login, await passwordOf(recorded.login));
  if (recorded.connection) return withPassword(recorded.connection, recorded.connection.password);
  throw new Error("the migration resource records no login: run pulumi up to record one");
}

/** The owner role the migrations act as. */
export function ownerRoleOf(recorded: RecordedLogin): string | undefined {
  return recorded.login?.ownerRole ?? recorded.connection?.ownerRole;
}

/** `user@host:port/database` of `recorded`, for messages, without looking anything up. */
export function describeLogin(recorded: RecordedLogin): string {
  const t = recorded.login ?? recorded.connection;
  return t ? `${t.user}@${t.host}:${t.port}/${t.database}` : "(no login recorded)";
}

async function passwordOf(login: MigrationsLogin): Promise<string> {
  switch (login.kind) {
    case "provider-config": {
      const password = providerConfig.current.migratorPassword;
      if (password === undefined || password === "")
        throw new Error(
          `the migration provider has no migratorPassword in its config, which a local stack's login (${describeLogin({ login })}) reads: ` +
            "the program sets it from the stack's generated password; run pulumi up",
        );
      return password;
    }
    case "aws-iam":
      // Signed here, once per operation: a token opens connections for 15 minutes, and an apply's
      // one connection stays open through its snapshot wait (../crud.ts).
      return iamTokens.sign({ host: login.host, port: login.port, user: login.user, region: login.region });
  }
}

function withPassword(t: MigrationsTarget, password: string): Connection {
  return {
    host: t.host,
    port: t.port,
    user: t.user,
    password,
    database: t.database,
    ssl: singleAttemptSsl(t.sslMode, t.sslRootCert, "the migration component's connection"),
  };
}
