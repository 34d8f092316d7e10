/**
 * Least privilege for the database's roles: every login role limited and unprivileged, the app and
 * read-only roles owning nothing and creating nothing, the database owned by a role no login can
 * become, PUBLIC's rights revoked.
 */
import {
  everywhere,
  ofType,
  type Rule,
  roleKey,
  type StackResource,
  sameOrUnknown,
  TYPES,
  UNKNOWN,
  type Violation,
} from "../resources";

/** The roles the application and readers log in as (the migrator, acting as the owner, runs migrations). */
const UNPRIVILEGED = ["app", "readonly"];

export const loginRolesLimited: Rule = {
  name: "login-roles-limited",
  description:
    "Every login role has a CONNECTION LIMIT and is neither superuser nor allowed to create databases or roles.",
  scope: "resource",
  level: everywhere,
  check(resources) {
    const out: Violation[] = [];
    for (const r of ofType(resources, TYPES.role)) {
      if (r.props.login !== true) continue;
      const limit = r.props.connectionLimit;
      if (typeof limit !== "number" || limit < 0) {
        out.push({
          resource: r.name,
          message: `login role ${String(r.props.name)} has no CONNECTION LIMIT (connectionLimit ${String(limit)}); set one`,
        });
      }
      for (const flag of ["superuser", "createDatabase", "createRole"] as const) {
        if (r.props[flag] === true)
          out.push({
            resource: r.name,
            message: `login role ${String(r.props.name)} has ${flag}: true; login roles get none of superuser, createDatabase, createRole`,
          });
      }
    }
    return out;
  },
};

/** Role names of the app and read-only roles, and the Pulumi name that declares each. */
function unprivilegedRoles(resources: readonly StackResource[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const r of ofType(resources, TYPES.role)) {
    const key = roleKey(r, resources);
    if (key && UNPRIVILEGED.includes(key) && typeof r.props.name === "string") names.set(r.props.name, r.name);
  }
  return names;
}

/** No privileges: the engine reports an empty list as null or leaves it out. */
const grantsNothing = (privileges: unknown) =>
  privileges == null || (Array.isArray(privileges) && privileges.length === 0);

const grantsCreate = (privileges: unknown) =>
  Array.isArray(privileges) && privileges.some((p) => p === "CREATE" || p === "ALL" || p === "TEMPORARY");

export const appRolesOwnNothing: Rule = {
  name: "app-roles-own-nothing",
  description:
    "The app and read-only roles own nothing (no database, no default privileges as owner) and get no CREATE, TEMPORARY or ALL.",
  scope: "stack",
  level: everywhere,
  check(resources) {
    const roles = unprivilegedRoles(resources);
    const out: Violation[] = [];
    for (const r of ofType(resources, TYPES.database)) {
      if (roles.has(String(r.props.owner)))
        out.push({
          resource: r.name,
          message: `database ${String(r.props.name)} is owned by ${String(r.props.owner)}; the database-owner role must own it`,
        });
    }
    for (const r of [...ofType(resources, TYPES.grant), ...ofType(resources, TYPES.defaultPrivileges)]) {
      if (r.type === TYPES.defaultPrivileges && roles.has(String(r.props.owner))) {
        out.push({
          resource: r.name,
          message: `default privileges are declared for objects owned by ${String(r.props.owner)}; only the owner role creates objects`,
        });
      }
      if (roles.has(String(r.props.role)) && grantsCreate(r.props.privileges)) {
        out.push({
          resource: r.name,
          message: `${String(r.props.role)} is granted ${JSON.stringify(r.props.privileges)} on ${String(r.props.objectType)}; the app and read-only roles get no CREATE, TEMPORARY or ALL`,
        });
      }
    }
    return out;
  },
};

export const databaseOwnerUnreachable: Rule = {
  name: "database-owner-unreachable",
  description:
    "The database is owned by a role that cannot log in and that no role is a member of: PostgreSQL lets the owner and any member of it drop the database.",
  scope: "stack",
  level: everywhere,
  check(resources) {
    const out: Violation[] = [];
    const roles = ofType(resources, TYPES.role);
    for (const db of ofType(resources, TYPES.database)) {
      const owner = db.props.owner;
      if (owner === UNKNOWN) continue;
      const declared = roles.find((r) => r.props.name === owner);
      if (declared?.props.login !== false)
        out.push({
          resource: db.name,
          message: `database ${String(db.props.name)} is owned by ${String(owner)}, ${declared ? "a login role" : "a role the stack does not declare without login"}; own it by a role with login: false that no role is a member of`,
        });
      for (const member of roles.filter((r) => Array.isArray(r.props.roles) && r.props.roles.includes(owner)))
        out.push({
          resource: member.name,
          message: `role ${String(member.props.name)} is a member of ${String(owner)}, the owner of database ${String(db.props.name)}, so it can drop the database; take ${String(owner)} out of its roles`,
        });
    }
    return out;
  },
};

export const publicRevoked: Rule = {
  name: "public-revoked",
  description:
    "PUBLIC's rights on the database and on schema public are revoked (a Grant to public with no privileges for each), and PUBLIC is granted nothing.",
  scope: "stack",
  level: everywhere,
  check(resources) {
    const out: Violation[] = [];
    const toPublic = ofType(resources, TYPES.grant).filter((g) => String(g.props.role).toLowerCase() === "public");
    for (const g of toPublic) {
      if (!grantsNothing(g.props.privileges)) {
        out.push({
          resource: g.name,
          message: `PUBLIC is granted ${JSON.stringify(g.props.privileges)} on ${String(g.props.objectType)}; PUBLIC gets nothing`,
        });
      }
    }
    for (const db of ofType(resources, TYPES.database)) {
      for (const objectType of ["database", "schema"]) {
        const revoked = toPublic.some(
          (g) =>
            g.props.objectType === objectType &&
            sameOrUnknown(g.props.database, db.props.name) &&
            grantsNothing(g.props.privileges),
        );
        if (!revoked)
          out.push({
            resource: db.name,
            message: `PUBLIC's rights on the ${objectType} of database ${String(db.props.name)} are not revoked (no Grant to public with privileges [])`,
          });
      }
    }
    return out;
  },
};
