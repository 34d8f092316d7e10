/**
 * The privilege plan, as data: which role gets what on the database, schema public, its tables and
 * sequences, and by default on what the owner creates later. PUBLIC gets nothing. The component
 * turns each entry into one postgresql.Grant or postgresql.DefaultPrivileges; tests read the same
 * plan, so the documented rights and the provisioned ones cannot drift apart.
 */

/** Which login role an entry is for; "public" is PostgreSQL's PUBLIC pseudo-role. */
export type Grantee = "app" | "readonly" | "public";

export interface GrantSpec {
  readonly key: string;
  readonly grantee: Grantee;
  readonly objectType: "database" | "schema" | "table" | "sequence";
  readonly privileges: readonly string[];
}

export interface DefaultPrivilegeSpec {
  readonly key: string;
  readonly grantee: Exclude<Grantee, "public">;
  readonly objectType: "table" | "sequence";
  readonly privileges: readonly string[];
}

const APP_TABLE = ["DELETE", "INSERT", "SELECT", "UPDATE"];
const APP_SEQUENCE = ["SELECT", "UPDATE", "USAGE"];
const READ_TABLE = ["SELECT"];
const READ_SEQUENCE = ["SELECT"];

export const GRANTS: readonly GrantSpec[] = [
  { key: "public-database", grantee: "public", objectType: "database", privileges: [] },
  { key: "public-schema", grantee: "public", objectType: "schema", privileges: [] },
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
  { key: "app-tables", grantee: "app", objectType: "table", privileges: APP_TABLE },
  { key: "app-sequences", grantee: "app", objectType: "sequence", privileges: APP_SEQUENCE },
  { key: "readonly-tables", grantee: "readonly", objectType: "table", privileges: READ_TABLE },
  { key: "readonly-sequences", grantee: "readonly", objectType: "sequence", privileges: READ_SEQUENCE },
];

/** The schema the application's objects live in. */
export const APP_SCHEMA = "public";
