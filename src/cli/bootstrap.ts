/**
 * `precog-db bootstrap-sql`: the one-time bootstrap of an aws stack's instance, as SQL to run as
 * its master user (docs/aws.md, "The bootstrap"). It creates the deployer (src/env/roles.ts
 * DEPLOYER_LOGIN), the login the stack's postgresql provider connects as by IAM, with what the
 * provider needs and no more than the master has: CREATEDB and CREATEROLE (the database and the
 * stack's roles, which it then administers), rds_superuser (RDS lets only its members create the
 * pgaudit extension), and rds_iam with ADMIN (it logs in by IAM only, and grants rds_iam to the
 * migrator). No password: a member of rds_iam cannot log in with one. Safe to run again. The master
 * is never granted rds_iam: it stays the break-glass login, by its RDS-managed secret.
 */
import { DEPLOYER_LOGIN, MASTER_LOGIN } from "../env/roles";
import type { Command } from "./context";

/** The SQL, for psql as the master user, connected to the instance's `postgres` database. */
export function deployerBootstrapSql(): string {
  const d = DEPLOYER_LOGIN;
  return [
    `-- precog-db bootstrap-sql: run once per RDS instance, as its master user ${MASTER_LOGIN}.`,
    `-- Creates ${d}, the login the stack's postgresql provider uses, by IAM database authentication only.`,
    "DO $bootstrap$",
    "BEGIN",
    `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${d}') THEN`,
    `    CREATE ROLE ${d} WITH LOGIN CREATEDB CREATEROLE;`,
    "  END IF;",
    "END",
    "$bootstrap$;",
    `ALTER ROLE ${d} WITH LOGIN CREATEDB CREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS PASSWORD NULL;`,
    `GRANT rds_superuser TO ${d};`,
    `GRANT rds_iam TO ${d} WITH ADMIN OPTION;`,
    "",
  ].join("\n");
}

export const bootstrapSqlCommand: Command = async (ctx) => {
  ctx.out.out(deployerBootstrapSql().trimEnd());
  return 0;
};
