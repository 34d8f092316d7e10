/**
 * The inline program of what the project owns, for the engine suites: the real guards and config
 * (infra/program.ts `preflight`), the migration provider registered first (its plugin is the
 * project's own), and the PrecogMigrations component with the arguments the real program's
 * migrations step builds (infra/precog-environment.ts `migrationsArgs`: login, predecessor,
 * backup plan, operator, protect), logged in as the stack's migrator and acting as its owner role,
 * on the local server the stack's config names; the stack outputs `migrations` and `schemaVersion` as
 * infra/outputs.ts exports them. The database, its roles and their privileges are not a provider's
 * here: `prepareDatabase` makes them in SQL, under the names the stack's config gives
 * (src/env/roles.ts) and with the privilege plan of infra/database/privileges.ts.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { APP_SCHEMA, type Grantee } from "../../infra/database/privileges";
import { PrecogMigrations } from "../../infra/migrations/component";
import { migrationsComponentName, migrationsProvider } from "../../infra/migrations/resource";
import { migrationsArgs } from "../../infra/precog-environment";
import { preflight } from "../../infra/program";
import { keepSecretsOutOfDebugLog } from "../../infra/startup/secret-free-debug-log";
import { type PrecogConfig, parseConfig } from "../../src/config/parse";
import { NAMESPACE } from "../../src/config/schema";
import { currentOperator } from "../../src/env/environment";
import { LOGIN_ROLES, type LoginRole } from "../../src/env/roles";
import { appliedEntries, summaryFromOutput } from "../../src/migrate";
import { privilegePlanSql } from "../../testbed/privilege-plan-sql";
import { withAdmin } from "../../testbed/probes";
import type { InlineProgram, InlineProject } from "./inline-project";

export { MIGRATIONS_TYPE } from "../../infra/migrations/resource";

/** What a stack's `migrations` output (its ledger summary) lists as applied, oldest first. */
export function appliedOf(migrations: unknown): { version: string; checksum: string }[] {
  const summary = summaryFromOutput(migrations, "test");
  if (summary === undefined) throw new Error(`not a migrations output: ${JSON.stringify(migrations)}`);
  const listed = appliedEntries(summary.recent);
  // The summary lists the newest hundred: every one these tests apply.
  if (listed.length !== summary.count) throw new Error(`${summary.count} applied, more than the summary lists`);
  return listed;
}

/** The versions a stack's `migrations` output lists as applied, oldest first. */
export function appliedVersions(migrations: unknown): string[] {
  return appliedOf(migrations).map((e) => e.version);
}

/** The program; `migratorPassword` is the password `prepareDatabase` gave the stack's migrator. */
export function ownedProgram(projectDir: string, migratorPassword: string): InlineProgram {
  return async (vars) => {
    keepSecretsOutOfDebugLog(); // as infra/program.ts does first
    const { environment, config } = preflight(pulumi.getStack(), vars);
    const name = `precog-${environment}`;
    // A local stack's provider: its config holds the migrator's password (the login's one place).
    const provider = migrationsProvider(name, { migratorPassword }, { protect: config.protect });
    if (!config.local) throw new pulumi.RunError(`stack "${config.stack}": the engine suites run local servers only`);
    // The real migrations step's arguments, on the server config.local names (the database, roles
    // and privileges made in SQL beforehand, so nothing to come after).
    const migrations = new PrecogMigrations(
      migrationsComponentName(name),
      migrationsArgs({
        config,
        projectDir,
        server: {
          kind: "local",
          endpoint: { adminHost: config.local.host, port: config.local.port, sslMode: config.local.sslMode },
        },
        migrator: { kind: "password", password: migratorPassword },
        after: [],
        provider,
        operator: currentOperator(vars),
      }),
    );
    return { migrations: migrations.applied, schemaVersion: migrations.schemaVersion };
  };
}

/** The stack's config as the CLI hands it to a program, parsed by the project's parseConfig. */
export async function stackConfig(project: InlineProject, stack: string): Promise<PrecogConfig> {
  const all = await (await project.stack(stack)).getAllConfig();
  const values: Record<string, string> = {};
  for (const [key, { value, secret }] of Object.entries(all)) {
    const [ns, name] = key.split(":", 2);
    if (ns === NAMESPACE && name !== undefined && !secret) values[name] = value;
  }
  return parseConfig(stack, { values, secrets: [] });
}

/**
 * What the real program's PrecogDatabase provisions, in SQL, on the server the probes look at
 * (testbed/probes.ts `probeServer`): the database owned by `<database>_dbowner`, the owner role
 * `<database>_owner` (neither logs in), the migrator (a member of the owner), app and read-only
 * logins with their CONNECTION LIMITs, search_path and timeouts, and the privilege plan. Returns
 * each login's password (40 letters and digits, like the stack's generated ones).
 */
export async function prepareDatabase(cfg: PrecogConfig): Promise<Record<LoginRole, string>> {
  const names = cfg.roleNames;
  const passwords = Object.fromEntries(LOGIN_ROLES.map((r) => [r, randomBytes(20).toString("hex")])) as Record<
    LoginRole,
    string
  >;
  await withAdmin(async (c) => {
    for (const role of ["databaseOwner", "owner"] as const)
      await c.query(`CREATE ROLE ${names[role]} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION`);
    for (const role of LOGIN_ROLES) {
      const t = cfg.roles[role];
      await c.query(
        `CREATE ROLE ${names[role]} LOGIN PASSWORD '${passwords[role]}' CONNECTION LIMIT ${cfg.connectionLimits[role]} ` +
          `NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION${role === "migrator" ? ` IN ROLE ${names.owner}` : ""}`,
      );
      await c.query(`ALTER ROLE ${names[role]} SET search_path = ${APP_SCHEMA}`);
      await c.query(`ALTER ROLE ${names[role]} SET statement_timeout = ${t.statementTimeoutMs}`);
      await c.query(
        `ALTER ROLE ${names[role]} SET idle_in_transaction_session_timeout = ${t.idleInTransactionTimeoutMs}`,
      );
    }
    await c.query(`CREATE DATABASE ${cfg.database} OWNER ${names.databaseOwner} ENCODING 'UTF8' TEMPLATE template0`);
  });
  const grantee: Record<Grantee, string> = {
    owner: names.owner,
    app: names.app,
    readonly: names.readonly,
    public: "PUBLIC",
  };
  await withAdmin(async (c) => {
    for (const statement of privilegePlanSql(cfg.database, names.owner, grantee)) await c.query(statement);
  }, cfg.database);
  return passwords;
}
