/**
 * Checks made in the database itself, not in Pulumi's view of it: who owns what, who can log in,
 * and what each role can and cannot do.
 */
import type { Client } from "pg";
import { withClient } from "./client";
import type { LocalCluster } from "./local-cluster";

type Server = Pick<LocalCluster, "host" | "port" | "user" | "password">;
let server: Server | undefined;

/**
 * The server the probes look at: each end-to-end suite deploys the stacks' fixed database and role
 * names on a cluster of its own, so suites running side by side never see each other's.
 */
export function probeServer(s: Server): void {
  server = s;
}

function target(): Server {
  if (!server) throw new Error("probes: call probeServer(cluster) first");
  return server;
}

export function asRole<T>(user: string, password: string, database: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const { host, port } = target();
  return withClient({ host, port, user, password, database }, fn);
}

export function withAdmin<T>(fn: (c: Client) => Promise<T>, database = "postgres"): Promise<T> {
  const { host, port, user, password } = target();
  return withClient({ host, port, user, password, database }, fn);
}

/** SQLSTATE 42501: what PostgreSQL answers for a missing privilege or ownership. */
export const INSUFFICIENT_PRIVILEGE = "42501";

/**
 * The SQLSTATE of the error `fn` fails with, or "ok" when it succeeds. Codes, not message texts:
 * the texts change between server versions and quote names differently.
 */
export async function attempt(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") throw e;
    return code;
  }
}

export interface RoleFacts {
  rolname: string;
  rolcanlogin: boolean;
  rolconnlimit: number;
  rolsuper: boolean;
  rolcreatedb: boolean;
  rolcreaterole: boolean;
}

export async function roleFacts(name: string): Promise<RoleFacts | undefined> {
  return withAdmin(async (c) => {
    const r = await c.query(
      "select rolname, rolcanlogin, rolconnlimit, rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = $1",
      [name],
    );
    return r.rows[0];
  });
}

export async function databaseOwner(name: string): Promise<string | undefined> {
  return withAdmin(async (c) => {
    const r = await c.query("select pg_get_userbyid(datdba) as owner from pg_database where datname = $1", [name]);
    return r.rows[0]?.owner;
  });
}

/** Whether a role with no grants of its own (so only PUBLIC's rights) may connect to `database`. */
export async function publicCanConnect(database: string): Promise<boolean> {
  return withAdmin(async (c) => {
    const r = await c.query("select has_database_privilege('public', $1, 'CONNECT') as can", [database]);
    return r.rows[0].can as boolean;
  });
}

/** The roles that are members of `role`. */
export async function membersOf(role: string): Promise<string[]> {
  return withAdmin(async (c) => {
    const r = await c.query(
      "select pg_get_userbyid(member) as member from pg_auth_members where roleid = (select oid from pg_roles where rolname = $1) order by 1",
      [role],
    );
    return r.rows.map((x) => x.member as string);
  });
}

/** Whether `role` has a password (pg_authid, which only a superuser reads). */
export async function hasPassword(role: string): Promise<boolean | undefined> {
  return withAdmin(async (c) => {
    const r = await c.query("select rolpassword is not null as has from pg_authid where rolname = $1", [role]);
    return r.rows[0]?.has;
  });
}

/**
 * What `DROP DATABASE <database>` answers for `user`, logged in to the `postgres` database (as it
 * must be: no one drops the database they are connected to), after `SET ROLE <actAs>` when given.
 */
export async function dropDatabaseAs(user: string, password: string, database: string, actAs?: string) {
  return attempt(() =>
    asRole(user, password, "postgres", async (c) => {
      if (actAs) await c.query(`set role "${actAs}"`);
      await c.query(`drop database "${database}"`);
    }),
  );
}
