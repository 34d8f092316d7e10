/**
 * An environment's login roles and their names, the one home of the convention: `<database>_owner`
 * owns the database and every object a migration creates, `<database>_readonly` reads, and the
 * application's role is configured (`precog:roles.app.name`; defaults.ts has the committed names).
 * And which of them migrations log in as (`migrationLogin`), for the Pulumi component, the env files
 * of the local stacks and the command line alike.
 */

export const LOGIN_ROLES = ["owner", "app", "readonly"] as const;
export type LoginRole = (typeof LOGIN_ROLES)[number];

export type RoleNames = Readonly<Record<LoginRole, string>>;

/** The roles of `database`, whose application role is `appRole`. */
export function roleNamesOf(database: string, appRole: string): RoleNames {
  return { owner: `${database}_owner`, app: appRole, readonly: `${database}_readonly` };
}

/**
 * What migrations log in as, picked from anything kept per role (names, passwords, credentials):
 * the database's owner, so that every object they create is the owner's and the default privileges
 * give the app and read-only roles their rights. The one place that choice is made.
 */
export function migrationLogin<T>(byRole: Readonly<Record<LoginRole, T>>): T {
  return byRole.owner;
}
