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
