/**
 * Provisions a database on the run's cluster the way the test stack (infra/) does with Pulumi,
 * in plain SQL: a database owned by an owner role that migrations run as, an application login
 * role and a read-only login role, each with a connection limit, and the stack's own privilege
 * plan (infra/database/privileges.ts: PUBLIC revoked, data privileges only, default privileges on
 * what the owner creates), rendered as the statements the postgresql provider issues for it. Roles are cluster-global, so every name carries a random
 * tag: test files (and the stress bench) provision side by side without colliding.
 *
 * Takes the superuser settings as an argument (no vitest `inject` here) so bench/pool can use it.
 */
import { randomBytes } from "node:crypto";
import type { ClientConfig } from "pg";
import type { Grantee } from "../infra/database/privileges";
import { markerSql } from "../src/env/database-marker";
import { withClient } from "./client";
import { privilegePlanSql } from "./privilege-plan-sql";

/** A login role's name and password. */
export interface RoleLogin {
  readonly user: string;
  readonly password: string;
}

export interface ProvisionedTestDb {
  readonly host: string;
  readonly port: number;
  /** `precog_test_<tag>`: contains "test", so DB_NAME inference says test. */
  readonly database: string;
  /** Owns the database and schema public; migrations run as it. */
  readonly owner: RoleLogin;
  /** The application role: SELECT/INSERT/UPDATE/DELETE, sequences, no CREATE, no ownership. */
  readonly app: RoleLogin;
  /** SELECT only. */
  readonly readonly: RoleLogin;
  /** Variables that point `openPool()` at this database as `login` (default: the app role). */
  vars(login?: RoleLogin): Record<string, string>;
  /** `pg` settings for `login` (default: the app role). */
  config(login?: RoleLogin): ClientConfig;
  /** Drops the database and the three roles. */
  drop(): Promise<void>;
}

export interface ProvisionOptions {
  /** Suffix for every name; default 8 random hex digits. */
  readonly tag?: string;
  /** CONNECTION LIMIT of the app role. Default 40. */
  readonly appConnectionLimit?: number;
}

type Admin = ClientConfig & { host: string; port: number };

/** Creates the database and roles; see the module header. */
export async function provisionTestDatabase(admin: Admin, options: ProvisionOptions = {}): Promise<ProvisionedTestDb> {
  const tag = options.tag ?? randomBytes(4).toString("hex");
  const database = `precog_test_${tag}`;
  const login = (role: string): RoleLogin => ({
    user: `precog_test_${role}_${tag}`,
    password: randomBytes(12).toString("hex"),
  });
  const owner = login("owner");
  const app = login("user");
  const ro = login("readonly");

  const grantee: Record<Grantee, string> = { owner: owner.user, app: app.user, readonly: ro.user, public: "PUBLIC" };
  await withClient({ ...admin, database: "postgres" }, async (c) => {
    await c.query(`CREATE ROLE ${owner.user} LOGIN PASSWORD '${owner.password}' CONNECTION LIMIT 10`);
    await c.query(
      `CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}' CONNECTION LIMIT ${options.appConnectionLimit ?? 40}`,
    );
    await c.query(`CREATE ROLE ${ro.user} LOGIN PASSWORD '${ro.password}' CONNECTION LIMIT 5`);
    await c.query(`CREATE DATABASE ${database} OWNER ${owner.user}`);
  });
  await withClient({ ...admin, database }, async (c) => {
    for (const statement of privilegePlanSql(database, owner.user, grantee)) await c.query(statement);
    await c.query(markerSql("test")); // as the test stack marks its database
  });

  const config = (l: RoleLogin = app): ClientConfig => ({
    host: admin.host,
    port: admin.port,
    database,
    user: l.user,
    password: l.password,
  });
  return {
    host: admin.host,
    port: admin.port,
    database,
    owner,
    app,
    readonly: ro,
    config,
    vars: (l: RoleLogin = app) => ({
      PRECOG_ENV: "test",
      DB_HOST: admin.host,
      DB_PORT: String(admin.port),
      DB_NAME: database,
      DB_USER: l.user,
      DB_PASSWORD: l.password,
    }),
    drop: () =>
      withClient({ ...admin, database: "postgres" }, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        for (const r of [app, ro, owner]) await c.query(`DROP ROLE IF EXISTS ${r.user}`);
      }),
  };
}
