/**
 * The stack outputs: a public contract, the same shape on every stack. Scripts (.env writer),
 * the migration component and ops read these names; change them only with a migration plan.
 *
 *   environment          "dev" | "test" | "staging" | "prod"
 *   server               "local" | "aws"
 *   host, port           where applications connect (the RDS address on aws)
 *   proxyHost            the RDS Proxy endpoint, or null
 *   database             database name
 *   roles                { databaseOwner, owner, migrator, app, readonly } role names
 *   pool                 { min, max } per app instance (DB_POOL_MIN_CONN / DB_POOL_MAX_CONN)
 *   connectionLimits     { migrator, app, readonly } CONNECTION LIMIT of each login role
 *   credentials          { migrator, app, readonly }: { source, secretArn, password } (secret output)
 *   migrations           the applied ledger, oldest first: { version, name, checksum, appliedAt, appliedBy }
 *   schemaVersion        the newest applied version, or null
 */
import * as pulumi from "@pulumi/pulumi";
import { type PrecogConfig, serverKind } from "./config/parse";
import type { PrecogEnvironment } from "./precog-environment";

export function stackOutputs(cfg: PrecogConfig, env: PrecogEnvironment) {
  return {
    environment: cfg.environment,
    server: serverKind(cfg),
    host: pulumi.output(env.endpoint.host),
    port: pulumi.output(env.endpoint.port),
    proxyHost: env.proxyEndpoint,
    database: env.database.database,
    roles: env.database.roles,
    pool: { min: cfg.pool.min, max: cfg.pool.max },
    connectionLimits: { ...cfg.connectionLimits },
    credentials: pulumi.secret(env.credentials),
    migrations: env.migrations.ledger,
    schemaVersion: env.migrations.schemaVersion,
  };
}

export type StackOutputs = ReturnType<typeof stackOutputs>;
