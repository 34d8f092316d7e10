/**
 * The privilege plan, as data: which role gets what on the database, schema public, its tables and
 * sequences, and by default on what the owner creates later. PUBLIC gets nothing. The owner role
 * does not own the database (`<database>_dbowner` does, so no login can drop it): it gets what
 * migrations need from the database and the schema as grants, CREATE among them. The component
 * turns each entry into one postgresql.Grant or postgresql.DefaultPrivileges; tests read the same
 * plan, so the documented rights and the provisioned ones cannot drift apart.
 */

/** Which role an entry is for; "public" is PostgreSQL's PUBLIC pseudo-role. */
export type Grantee = "owner" | "app" | "readonly" | "public";

export interface GrantSpec {
  readonly key: string;
  readonly grantee: Grantee;
  readonly objectType: "database" | "schema" | "table" | "sequence";
  readonly privileges: readonly string[];
}

export interface DefaultPrivilegeSpec {
  readonly key: string;
  readonly grantee: Grantee;
  readonly objectType: "table" | "sequence" | "function";
  readonly privileges: readonly string[];
  /**
   * For every schema rather than the app schema alone. A per-schema default privilege can only add
   * to the global ones, so taking away PostgreSQL's global EXECUTE to PUBLIC must be global too.
   */
  readonly allSchemas?: true;
}

const APP_TABLE = ["DELETE", "INSERT", "SELECT", "UPDATE"];
/**
 * USAGE for nextval (what a serial or identity column's default calls) and currval, SELECT for
 * reading a sequence's state. Not UPDATE: it would let the app call setval and move a sequence
 * back onto ids already used; only migrations (the owner) reset sequences.
 */
const APP_SEQUENCE = ["SELECT", "USAGE"];
const READ_TABLE = ["SELECT"];
const READ_SEQUENCE = ["SELECT"];

export const GRANTS: readonly GrantSpec[] = [
  { key: "public-database", grantee: "public", objectType: "database", privileges: [] },
  { key: "public-schema", grantee: "public", objectType: "schema", privileges: [] },
  // What the database's owner had before it was split from the objects' owner: schemas and
  // extensions (CREATE), temporary tables, and the migrator's CONNECT (it inherits them).
  { key: "owner-database", grantee: "owner", objectType: "database", privileges: ["CONNECT", "CREATE", "TEMPORARY"] },
  { key: "owner-schema", grantee: "owner", objectType: "schema", privileges: ["CREATE", "USAGE"] },
  { key: "app-database", grantee: "app", objectType: "database", privileges: ["CONNECT"] },
  { key: "app-schema", grantee: "app", objectType: "schema", privileges: ["USAGE"] },
  { key: "app-tables", grantee: "app", objectType: "table", privileges: APP_TABLE },
  { key: "app-sequences", grantee: "app", objectType: "sequence", privileges: APP_SEQUENCE },
  { key: "readonly-database", grantee: "readonly", objectType: "database", privileges: ["CONNECT"] },
  { key: "readonly-schema", grantee: "readonly", objectType: "schema", privileges: ["USAGE"] },
  { key: "readonly-tables", grantee: "readonly", objectType: "table", privileges: READ_TABLE },
  { key: "readonly-sequences", grantee: "readonly", objectType: "sequence", privileges: READ_SEQUENCE },
];

export const DEFAULT_PRIVILEGES: readonly DefaultPrivilegeSpec[] = [
  // PostgreSQL grants EXECUTE on every new function to PUBLIC; a SECURITY DEFINER function made by
  // a migration would otherwise be callable by any role that can connect.
  { key: "public-functions", grantee: "public", objectType: "function", privileges: [], allSchemas: true },
  { key: "app-tables", grantee: "app", objectType: "table", privileges: APP_TABLE },
  { key: "app-sequences", grantee: "app", objectType: "sequence", privileges: APP_SEQUENCE },
  { key: "readonly-tables", grantee: "readonly", objectType: "table", privileges: READ_TABLE },
  { key: "readonly-sequences", grantee: "readonly", objectType: "sequence", privileges: READ_SEQUENCE },
];

/** The schema the application's objects live in. */
export const APP_SCHEMA = "public";

/**
 * Every login role's search_path: the app schema alone, so no role resolves names through a
 * schema named after it ("$user") that someone could create to shadow the application's tables.
 */
export const SEARCH_PATH = [APP_SCHEMA];
