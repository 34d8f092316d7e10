/**
 * Which login the command works as on its target. The migration login (DB_MIGRATION_USER /
 * DB_MIGRATION_PASSWORD, read by src/env's connection resolver; the `.env.<env>` the local stacks
 * write carries the migrator's) takes the place of DB_USER / DB_PASSWORD. The app and read-only
 * roles are refused, whichever variable or URL names them: they may not create objects, and
 * objects must belong to the owner role (src/env/roles.ts), so that the default privileges give
 * the app and read-only roles their rights on them. When the login is the environment's migrator,
 * the engine acts as the owner role (`ownerRole`, its SET ROLE before each migration). On an aws
 * environment the migrator has no password: `withIamLogin` signs an IAM token for it.
 */

import { serverKind } from "../config/parse";
import { committedStack } from "../config/stack-file";
import { resolveConnection } from "../env/connection";
import { type RdsIamLogin, rdsIamRegion, rdsIamToken } from "../env/rds-iam-token";
import { loginMethod, migrationLogin, migrationRole, roleNamesOf } from "../env/roles";
import type { Target, Vars } from "./target";

/** `target` logged in as the migration login; throws for the app and read-only roles. `work`: "apply migrations". */
export function withMigrationLogin(target: Target, vars: Vars, work: string, fromUrl = false): Target {
  const env = target.choice.env;
  let t = target;
  let source = "--database-url";
  let user: string | undefined;
  let database: string | undefined;
  if (fromUrl && typeof target.connection !== "string") {
    // --database-url names the login itself.
    user = target.connection.user;
    database = target.connection.database;
  } else if (typeof target.connection === "string") {
    const url = new URL(target.connection);
    user = decodeURIComponent(url.username);
    database = decodeURIComponent(url.pathname.replace(/^\//, "")) || vars.DB_NAME;
  } else {
    const problems: string[] = [];
    const { migration } = resolveConnection(vars, problems, { allowMissingServer: true });
    const own = problems.filter((p) => p.includes("DB_MIGRATION_"));
    if (own.length > 0) throw new Error(own.join(" "));
    source = "DB_USER";
    if (migration) {
      source = "DB_MIGRATION_USER";
      const { password: _appPassword, ...rest } = target.connection;
      const password = migration.password ?? vars.PGPASSWORD;
      t = {
        ...target,
        connection: { ...rest, user: migration.user, ...(password ? { password } : {}) },
        secrets: [...target.secrets, ...(password ? [password] : [])],
      };
    }
    user = typeof t.connection === "string" ? undefined : t.connection.user;
    database = target.connection.database;
  }
  if (user && database) {
    const roles = roleNamesOf(database, committedStack(env).roles.app.name);
    const which = user === roles.app ? "the app role" : user === roles.readonly ? "the read-only role" : undefined;
    if (which) {
      throw new Error(
        `Refusing to ${work} as ${user} (from ${source}), ${which} of ${env}: migrations create objects as ${migrationRole(roles)}, ` +
          `which gives the app and read-only roles their rights on them. Log in as ${migrationLogin(roles)}, which acts as it: set DB_MIGRATION_USER and ` +
          `DB_MIGRATION_PASSWORD (the .env.${env} that scripts/up.sh writes carries both), or pass --database-url with its login.`,
      );
    }
    if (user === migrationLogin(roles)) return { ...t, ownerRole: migrationRole(roles) };
  }
  return t;
}

/**
 * On an aws environment, when `target` logs in as the environment's migrator (withMigrationLogin
 * set `ownerRole`), its password is an IAM token signed now for its host, port and user, in
 * AWS_REGION or the region of the RDS host (src/env/rds-iam-token.ts); a token opens connections
 * for 15 minutes, which the command's run starts within. A password given for it (a variable or
 * the URL's) is refused: the migrator is granted rds_iam, and PostgreSQL refuses its password.
 * Any other target comes back as it is.
 */
export async function withIamLogin(
  target: Target,
  vars: Vars,
  sign: (login: RdsIamLogin) => Promise<string> = rdsIamToken,
): Promise<Target> {
  const env = target.choice.env;
  const c = target.connection;
  if (target.ownerRole === undefined || typeof c === "string") return target;
  if (loginMethod("migrator", serverKind(committedStack(env))) !== "aws-iam") return target;
  if (typeof c.password === "string")
    throw new Error(
      `${c.user} logs in to ${env} by IAM database authentication only, with a token precog-db signs from your AWS credentials: ` +
        "unset DB_MIGRATION_PASSWORD (and PGPASSWORD), or leave the password out of --database-url.",
    );
  const { host, port, user } = c;
  if (host === undefined || port === undefined || user === undefined)
    throw new Error(
      `The IAM login to ${env} needs its host, port and user: set DB_HOST, DB_PORT and DB_MIGRATION_USER.`,
    );
  const token = await sign({ host, port, user, region: rdsIamRegion(host, vars) });
  return { ...target, connection: { ...c, password: token }, secrets: [...target.secrets, token] };
}
