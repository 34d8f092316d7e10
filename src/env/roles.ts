/**
 * An environment's roles and their names, the one home of the convention. Two roles own things and
 * cannot log in: `<database>_dbowner` owns the database and nothing else, and no role is a member of
 * it, so no login can drop the database; `<database>_owner` owns every object a migration creates.
 * Three roles log in: `<database>_migrator` (a member of the owner, which migrations act as with
 * SET ROLE), the application's role (configured, `precog:roles.app.name` in each stack file) and
 * `<database>_readonly`. And which of them migrations log in as
 * (`migrationLogin`) and act as (`migrationRole`), for the Pulumi component, the env files of the
 * local stacks and the command line alike.
 */

export const LOGIN_ROLES = ["migrator", "app", "readonly"] as const;
export type LoginRole = (typeof LOGIN_ROLES)[number];

/** The roles that own (the database; the schema's objects) and have no login. */
export const OWNING_ROLES = ["databaseOwner", "owner"] as const;
export type OwningRole = (typeof OWNING_ROLES)[number];

export type RoleNames = Readonly<Record<LoginRole | OwningRole, string>>;

/** The roles of `database`, whose application role is `appRole`. */
export function roleNamesOf(database: string, appRole: string): RoleNames {
  return {
    databaseOwner: `${database}_dbowner`,
    owner: `${database}_owner`,
    migrator: `${database}_migrator`,
    app: appRole,
    readonly: `${database}_readonly`,
  };
}

/**
 * The logins that, on aws stacks, log in by IAM database authentication only (granted `rds_iam`,
 * no password, no secret, no rotation): the migrator, besides the deployer below. Local stacks keep
 * passwords for every login role. The app and read-only roles keep theirs on aws too (rotated in
 * Secrets Manager): the app's pool and the RDS Proxy read them there.
 */
export const IAM_LOGINS: readonly LoginRole[] = ["migrator"];

/** How `role` logs in on a server of `kind`: an IAM token (src/env/rds-iam-token.ts) or a password. */
export function loginMethod(role: LoginRole, kind: "local" | "aws"): "aws-iam" | "password" {
  return kind === "aws" && IAM_LOGINS.includes(role) ? "aws-iam" : "password";
}

/**
 * The login the stack's postgresql provider connects as on an aws server: one per instance,
 * created once by the bootstrap (`precog-db bootstrap-sql`, run as the master user) with what the
 * provider needs (CREATEDB, CREATEROLE, rds_superuser for the pgaudit extension, rds_iam with ADMIN
 * to grant it to the migrator), and logging in by IAM only. The master user is never granted rds_iam.
 */
export const DEPLOYER_LOGIN = "precog_deployer";

/**
 * The RDS instance's master user, whose password RDS keeps in its own Secrets Manager secret: for
 * the bootstrap and break-glass access only, never granted rds_iam, never read by the program.
 */
export const MASTER_LOGIN = "precog_admin";

/**
 * What migrations log in as, picked from anything kept per login role (names, passwords,
 * credentials): the migrator, a member of the owner role but not its owner, so it cannot drop the
 * database. The one place that choice is made.
 */
export function migrationLogin<T>(byRole: Readonly<Record<LoginRole, T>>): T {
  return byRole.migrator;
}

/**
 * The role every migration acts as (the engine's `SET ROLE`, before each one): the owner, so that
 * every object a migration creates is the owner's and the default privileges give the app and
 * read-only roles their rights.
 */
export function migrationRole(names: RoleNames): string {
  return names.owner;
}
