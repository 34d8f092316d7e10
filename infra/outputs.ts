/**
 * The stack outputs: a public contract, the same keys on every stack (null where a stack has no
 * such thing). Scripts (.env writer), the migration component and ops read these names; change
 * them only with a migration plan.
 *
 *   environment          "dev" | "test" | "staging" | "prod"
 *   server               "local" | "aws"
 *   host, port           where applications connect (the RDS address on aws)
 *   proxyHost            the RDS Proxy endpoint, or null
 *   database             database name
 *   roles                { databaseOwner, owner, migrator, app, readonly } role names
 *   pool                 { min, max } per app instance (DB_POOL_MIN_CONN / DB_POOL_MAX_CONN)
 *   connectionLimits     { migrator, app, readonly } CONNECTION LIMIT of each login role
 *   credentials          { migrator, app, readonly }: { source, secretArn, password }; only the
 *                        password is a secret (local stacks), so the secret ARNs (aws stacks)
 *                        read without --show-secrets; source "aws-iam" (the aws migrator) has
 *                        neither: it logs in by an IAM token
 *   instanceId           the RDS instance identifier, or null
 *   instanceArn          the RDS instance's ARN, or null
 *   masterSecretArn      the secret RDS keeps the master password in, or null (local stacks, and
 *                        aws stacks with read replicas, whose master password is the stack's)
 *   replicaHosts         the read replicas' addresses (precog:rds.replicas), for the readonly
 *                        role's connections; null when there are none
 *   logGroup             the CloudWatch log group of the server log, or null
 *   migrations           the applied ledger's summary (src/migrate/ledger-summary.ts), of a fixed
 *                        size: { count, newest, digest, recent, olderDigest }, `recent` the newest
 *                        100 applied versions and checksums. Read by the next stack's gate
 *                        (infra/migrations/component.ts), `precog-db migrate`'s gate
 *                        (src/cli/stack-gate.ts) and the tests (the runbook reads schemaVersion);
 *                        docs/migrations.md says how each former shape is read. The full ledger is
 *                        the history table's (`precog-db status`)
 *   schemaVersion        the newest applied version, or null
 *   pendingReboot        { parameters, commands }: the static parameters the instance (or a read
 *                        replica) takes only at its next reboot, and the reboot commands in the
 *                        order to run them; null when none wait (and on local stacks)
 *   serverParameters     { configured, instances }: the static parameters set, and per instance
 *                        (primary, replicas) those in force and the lowest max_connections it may
 *                        run with (infra/server/pending-reboot.ts): the record the next run's
 *                        connection budget reads; null on local stacks
 *
 * An ARN is never a secret: one derived from a secret input would be marked secret by Pulumi, and
 * hidden without --show-secrets, so each goes through pulumi.unsecret.
 */
import * as pulumi from "@pulumi/pulumi";
import { type PrecogConfig, serverKind } from "../src/config/parse";
import { LOGIN_ROLES, type LoginRole } from "./credentials/passwords";
import type { CredentialRef, PrecogEnvironment } from "./precog-environment";
import type { ParametersNow } from "./server/parameters-now";
import { rebootCommand } from "./server/pending-reboot";

export function stackOutputs(cfg: PrecogConfig, env: PrecogEnvironment, parameters?: ParametersNow) {
  const { rds } = env;
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
    credentials: credentialOutputs(env.credentials),
    instanceId: rds ? pulumi.unsecret(rds.instance.identifier) : null,
    instanceArn: rds ? pulumi.unsecret(rds.instance.arn) : null,
    masterSecretArn: rds?.masterSecretArn ? pulumi.unsecret(rds.masterSecretArn) : null,
    replicaHosts: rds && rds.replicas.length > 0 ? rds.replicas.map((r) => pulumi.unsecret(r.address)) : null,
    logGroup: rds ? pulumi.unsecret(rds.logGroup.name) : null,
    migrations: env.migrations.applied,
    schemaVersion: env.migrations.schemaVersion,
    pendingReboot:
      parameters && parameters.pending.length > 0
        ? { parameters: [...parameters.pending], commands: parameters.rebootOrder.map(rebootCommand) }
        : null,
    serverParameters: parameters ? parameters.record : null,
  };
}

/** Each role's reference as it is exported: the password secret, the rest plain. */
function credentialOutputs(credentials: Readonly<Record<LoginRole, CredentialRef>>) {
  const one = (c: CredentialRef) => ({
    source: c.source,
    secretArn: c.secretArn ? pulumi.unsecret(c.secretArn) : null,
    password: c.password ? pulumi.secret(c.password) : null,
  });
  return Object.fromEntries(LOGIN_ROLES.map((r) => [r, one(credentials[r])])) as Record<
    LoginRole,
    ReturnType<typeof one>
  >;
}

export type StackOutputs = ReturnType<typeof stackOutputs>;
