/**
 * PrecogEnvironment: everything one stack provisions, read as a short script: find or create the
 * server, generate the login passwords, create the database with its roles and privileges, and on
 * aws keep each role's credentials in Secrets Manager (plus the optional RDS Proxy).
 */
import { resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { currentOperator } from "../src/env/environment";
import { migrationLogin, migrationRole } from "../src/env/roles";
import type { PrecogConfig } from "./config/parse";
import { createPasswords, LOGIN_ROLES, type LoginRole, type Passwords } from "./credentials/passwords";
import { RoleSecret } from "./credentials/role-secret";
import { RotationAlarm, RotationFunction } from "./credentials/rotation";
import { PrecogDatabase } from "./database/precog-database";
import { PrecogMigrations } from "./migrations/precog-migrations";
import type { BackupPlan } from "./migrations/state";
import type { ServerEndpoint } from "./server/endpoint";
import { localServer } from "./server/local";
import { caBundlePath, RdsServer } from "./server/rds";
import { RdsProxy } from "./server/rds-proxy";

/** How a login role's credentials are delivered. */
export interface CredentialRef {
  readonly source: "pulumi-secret-output" | "aws-secrets-manager";
  /** The Secrets Manager secret on aws stacks; null on local ones. */
  readonly secretArn: pulumi.Output<string> | null;
  /** The password, secret, on local stacks; null on aws ones (read it from the secret). */
  readonly password: pulumi.Output<string> | null;
}

export interface PrecogEnvironmentArgs {
  readonly config: PrecogConfig;
  /** The folder of Pulumi.yaml: migrations/ and relative config paths are in it. */
  readonly projectDir: string;
}

export class PrecogEnvironment extends pulumi.ComponentResource {
  readonly endpoint: ServerEndpoint;
  readonly database: PrecogDatabase;
  readonly credentials: Readonly<Record<LoginRole, CredentialRef>>;
  /** The RDS Proxy endpoint when precog:rds.proxy is set; null otherwise. */
  readonly proxyEndpoint: pulumi.Output<string> | null;
  readonly migrations: PrecogMigrations;
  /** The RDS instance and what belongs to it, on aws stacks; null on local ones. */
  readonly rds: RdsServer | null;

  constructor(name: string, args: PrecogEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:environment:PrecogEnvironment", name, {}, opts);
    const parent = this;
    const cfg = args.config;

    const findServer = (): { endpoint: ServerEndpoint; rds?: RdsServer } => {
      if (!cfg.rds) return { endpoint: localServer(cfg.local, cfg.stack, args.projectDir) };
      const rds = new RdsServer(
        `${name}-server`,
        {
          rds: cfg.rds,
          environment: cfg.environment,
          maxConnections: cfg.connections.serverMax,
          protect: cfg.protect,
          caBundlePath: caBundlePath(cfg.rds.caBundleFile, args.projectDir, cfg.stack),
        },
        { parent },
      );
      return { endpoint: rds.endpoint, rds };
    };

    const { endpoint, rds } = findServer();
    this.rds = rds ?? null;
    const passwords = createPasswords(name, parent, cfg.protect);
    this.endpoint = endpoint;
    this.database = new PrecogDatabase(
      `${name}-db`,
      {
        endpoint,
        database: cfg.database,
        roles: cfg.roleNames,
        passwords,
        connectionLimits: cfg.connectionLimits,
        timeouts: { app: cfg.roles.app, readonly: cfg.roles.readonly, migrator: cfg.roles.migrator },
        protect: cfg.protect,
        pgaudit: cfg.rds ? cfg.rds.pgaudit : cfg.local.pgaudit,
      },
      { parent },
    );

    let migrationPassword: pulumi.Output<string> = migrationLogin(passwords);
    if (cfg.rds && rds) {
      const secrets = this.storeInSecretsManager(name, cfg, passwords, rds.key.arn);
      migrationPassword = migrationLogin(secrets).currentPassword;
      this.credentials = mapRoles((role) => ({
        source: "aws-secrets-manager",
        secretArn: secrets[role].arn,
        password: null,
      }));
      this.proxyEndpoint = cfg.rds.proxy
        ? new RdsProxy(
            `${name}-proxy`,
            {
              environment: cfg.environment,
              instance: rds.instance,
              appSecretArn: secrets.app.arn,
              subnetIds: cfg.rds.subnetIds,
              securityGroupIds: cfg.rds.securityGroupIds,
              maxConnectionsPercent: cfg.rds.proxy.maxConnectionsPercent,
            },
            { parent },
          ).endpoint
        : null;
    } else {
      this.credentials = mapRoles((role) => ({
        source: "pulumi-secret-output",
        secretArn: null,
        password: passwords[role],
      }));
      this.proxyEndpoint = null;
    }

    const { projectDir } = args;
    this.migrations = new PrecogMigrations(
      `${name}-migrations`,
      {
        environment: cfg.environment,
        connection: pulumi.secret(
          pulumi.all([endpoint.adminHost, endpoint.port, migrationPassword]).apply(([host, port, password]) => ({
            host,
            port,
            database: cfg.database,
            user: migrationLogin(cfg.roleNames),
            password,
            ownerRole: migrationRole(cfg.roleNames),
            sslMode: endpoint.sslMode,
            sslRootCert: endpoint.sslRootCert,
          })),
        ),
        dir: resolve(projectDir, "migrations"),
        predecessor: cfg.migrations.predecessor,
        backup: backupPlan(cfg, projectDir, rds),
        operator: currentOperator(),
        after: [
          this.database,
          ...this.database.roleResources,
          ...this.database.privileges,
          ...this.database.extensions,
        ],
        protect: cfg.protect,
      },
      { parent },
    );
    this.registerOutputs({});
  }

  private storeInSecretsManager(
    name: string,
    cfg: PrecogConfig,
    passwords: Passwords,
    kmsKeyId: pulumi.Output<string>,
  ) {
    const rotation = cfg.rds && cfg.rotation.days > 0 ? this.rotationSchedule(name, cfg) : undefined;
    const secrets = mapRoles(
      (role) =>
        new RoleSecret(
          `${name}-secret-${role}`,
          {
            environment: cfg.environment,
            role,
            username: this.database.roles[role],
            password: passwords[role],
            host: this.endpoint.host,
            port: this.endpoint.port,
            database: cfg.database,
            pool: role === "app" ? cfg.pool : undefined,
            rotation,
            protect: cfg.protect,
            kmsKeyId,
          },
          { parent: this },
        ),
    );
    if (rotation)
      new RotationAlarm(
        `${name}-rotation-alarm`,
        { environment: cfg.environment, secretArns: LOGIN_ROLES.map((r) => secrets[r].arn) },
        { parent: this },
      );
    return secrets;
  }

  /** Every role secret's schedule: the stack's own rotation function, or precog:rotation.lambdaArn. */
  private rotationSchedule(name: string, cfg: PrecogConfig) {
    const rds = cfg.rds as NonNullable<PrecogConfig["rds"]>;
    const fn = new RotationFunction(
      `${name}-rotation`,
      {
        environment: cfg.environment,
        lambdaArn: cfg.rotation.lambdaArn,
        subnetIds: rds.subnetIds,
        databaseSecurityGroupIds: rds.securityGroupIds,
        port: this.endpoint.port,
      },
      { parent: this },
    );
    return { days: cfg.rotation.days, lambdaArn: fn.arn };
  }
}

/** Before staging and prod migrate: an RDS snapshot on aws, the engine's pg_dump on a local server. */
function backupPlan(cfg: PrecogConfig, projectDir: string, rds: RdsServer | undefined): pulumi.Input<BackupPlan> {
  if (cfg.environment === "dev" || cfg.environment === "test") return { kind: "none" };
  if (rds)
    return rds.instance.identifier.apply((instanceId) => ({
      kind: "rds-snapshot" as const,
      instanceId,
      region: aws.config.requireRegion(),
    }));
  if (!cfg.migrations.backupDir) {
    throw new pulumi.RunError(
      `Stack "${cfg.stack}" migrates ${cfg.environment} on a local server, which needs a backup folder first: set precog:migrations.backupDir ` +
        `(pulumi config set --stack ${cfg.stack} --path precog:migrations.backupDir <folder>).`,
    );
  }
  return { kind: "pg_dump", dir: resolve(projectDir, cfg.migrations.backupDir) };
}

function mapRoles<T>(fn: (role: LoginRole) => T): Record<LoginRole, T> {
  return Object.fromEntries(LOGIN_ROLES.map((r) => [r, fn(r)])) as Record<LoginRole, T>;
}
