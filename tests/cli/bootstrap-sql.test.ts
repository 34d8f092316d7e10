/**
 * `precog-db bootstrap-sql` (src/cli/bootstrap.ts) prints the deployer's bootstrap, and that SQL,
 * run on a real PostgreSQL as a superuser stands for RDS's master (with stand-ins for RDS's
 * rds_superuser and rds_iam roles), creates a deployer that logs in with no password, may create
 * roles and databases and grant rds_iam, is no superuser, and runs again without error.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapSqlCommand, deployerBootstrapSql } from "../../src/cli/bootstrap";
import type { CommandContext } from "../../src/cli/context";
import { USAGE, verbNamed } from "../../src/cli/verbs";
import { DEPLOYER_LOGIN } from "../../src/env/roles";
import { withAdmin } from "../helpers/pg";

const STAND_INS = ["rds_superuser", "rds_iam"];
const created: string[] = [];
const suffix = randomBytes(4).toString("hex");
const [role, login, database] = [`boot_owner_${suffix}`, `boot_migrator_${suffix}`, `boot_db_${suffix}`];

beforeAll(async () => {
  await withAdmin(async (c) => {
    for (const r of STAND_INS) {
      const { rowCount } = await c.query("SELECT FROM pg_roles WHERE rolname = $1", [r]);
      if (rowCount === 0) {
        await c.query(`CREATE ROLE ${r} NOLOGIN`);
        created.push(r);
      }
    }
  });
});
afterAll(async () => {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${database}`);
    for (const r of [login, role, DEPLOYER_LOGIN, ...created]) await c.query(`DROP ROLE IF EXISTS ${r}`);
  });
});

describe("the deployer's bootstrap", () => {
  it("precog-db bootstrap-sql prints exactly the SQL, needing no database", async () => {
    const verb = verbNamed("bootstrap-sql");
    expect([verb?.run, verb?.database, verb?.options]).toEqual([bootstrapSqlCommand, undefined, []]);
    expect(USAGE).toContain("  bootstrap-sql   the SQL that creates an aws instance's deployer login");
    const printed: string[] = [];
    const out = { out: (line: string) => void printed.push(line) } as unknown as CommandContext["out"];
    expect(await bootstrapSqlCommand({ out } as CommandContext)).toBe(0);
    expect(`${printed.join("\n")}\n`).toBe(deployerBootstrapSql());
  });

  it("creates a passwordless, non-superuser deployer with what the provider needs; runs again", async () => {
    await withAdmin(async (c) => {
      await c.query(deployerBootstrapSql());
      await c.query(deployerBootstrapSql());
      const { rows } = await c.query(
        `SELECT rolcanlogin, rolcreatedb, rolcreaterole, rolsuper, rolreplication, rolbypassrls,
                rolpassword IS NULL AS no_password
           FROM pg_authid WHERE rolname = $1`,
        [DEPLOYER_LOGIN],
      );
      expect(rows).toEqual([
        {
          rolcanlogin: true,
          rolcreatedb: true,
          rolcreaterole: true,
          rolsuper: false,
          rolreplication: false,
          rolbypassrls: false,
          no_password: true,
        },
      ]);
      const memberships = await c.query(
        `SELECT r.rolname AS role, bool_or(m.admin_option) AS admin
           FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
          WHERE u.rolname = $1 GROUP BY r.rolname ORDER BY r.rolname`,
        [DEPLOYER_LOGIN],
      );
      expect(memberships.rows).toEqual([
        { role: "rds_iam", admin: true },
        { role: "rds_superuser", admin: false },
      ]);
    });
  });

  it("as the deployer: creates roles and a database, and grants rds_iam to a login", async () => {
    await withAdmin(async (c) => {
      await c.query(deployerBootstrapSql());
      await c.query(`SET SESSION AUTHORIZATION ${DEPLOYER_LOGIN}`);
      await c.query(`CREATE ROLE ${role} NOLOGIN`);
      await c.query(`CREATE ROLE ${login} LOGIN`);
      await c.query(`GRANT ${role} TO ${login}`);
      await c.query(`GRANT rds_iam TO ${login}`);
      await c.query(`CREATE DATABASE ${database}`);
      await c.query("RESET SESSION AUTHORIZATION");
      const { rows } = await c.query(
        `SELECT pg_has_role($1, 'rds_iam', 'MEMBER') AS iam, pg_has_role($1, $2, 'MEMBER') AS owner,
                (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $3) AS db_owner`,
        [login, role, database],
      );
      expect(rows).toEqual([{ iam: true, owner: true, db_owner: DEPLOYER_LOGIN }]);
    });
  });
});
