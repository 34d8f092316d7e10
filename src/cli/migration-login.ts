/**
 * Which login the command works as on its target. The migration login (DB_MIGRATION_USER /
 * DB_MIGRATION_PASSWORD, read by src/env's connection resolver; the `.env.<env>` the local stacks
 * write carries the migrator's) takes the place of DB_USER / DB_PASSWORD. The app and read-only
 * roles are refused, whichever variable or URL names them: they may not create objects, and
 * objects must belong to the owner role (src/env/roles.ts), so that the default privileges give
 * the app and read-only roles their rights on them. When the login is the environment's migrator,
 * the engine acts as the owner role (`ownerRole`, its SET ROLE before each migration).
 */

import { committedStack } from "../config/stack-file";
import { resolveConnection } from "../env/connection";
import { migrationLogin, migrationRole, roleNamesOf } from "../env/roles";
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
