/**
 * PrecogEnvironment: everything one stack provisions, read as a short script: find or create the
 * server, generate the login passwords, create the database with its roles and privileges, and on
 * aws keep each role's credentials in Secrets Manager (plus the optional RDS Proxy).
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PrecogConfig } from "../src/config/parse";
import { currentOperator, ENVIRONMENT_TRAITS } from "../src/env/environment";
import { migrationLogin, migrationRole } from "../src/env/roles";
import type * as awsBuilders from "./aws-builders";
import { createPasswords, LOGIN_ROLES, type LoginRole, type Passwords } from "./credentials/passwords";
import { PrecogDatabase } from "./database/precog-database";
import { PrecogMigrations } from "./migrations/precog-migrations";
import { type MigrationsProvider, migrationsComponentName } from "./migrations/provider";
import type { BackupPlan } from "./migrations/state";
import type { ServerEndpoint } from "./server/endpoint";
import { localServer } from "./server/local";
import type { RdsServer } from "./server/rds";

/** The aws stacks' builders, which the program loads on aws stacks only. */
export type AwsBuilders = typeof awsBuilders;

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
  /**
   * The aws builders, on an aws stack (config with the precog:rds group); absent on a local one,
   * so that it never loads `@pulumi/aws`. program() loads them when the config asks for aws.
   */
  readonly aws?: AwsBuilders;
  /** The migration component's provider, which program() registers first (./migrations/provider.ts). */
  readonly migrationsProvider: MigrationsProvider;
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

    const aws = args.aws;
    const findServer = (): { endpoint: ServerEndpoint; rds?: RdsServer } => {
      if (!cfg.rds) return { endpoint: localServer(cfg.local, cfg.stack, args.projectDir) };
      if (!aws) throw new Error(`Stack "${cfg.stack}" has an aws server: PrecogEnvironment needs args.aws`);
      const { caBundlePath, RdsServer } = aws;
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
    if (cfg.rds && rds && aws) {
      const secrets = this.storeInSecretsManager(aws, name, cfg, passwords, rds.key.arn);
      migrationPassword = migrationLogin(secrets).currentPassword;
      this.credentials = mapRoles((role) => ({
        source: "aws-secrets-manager",
        secretArn: secrets[role].arn,
        password: null,
      }));
      this.proxyEndpoint = cfg.rds.proxy
        ? new aws.RdsProxy(
            `${name}-proxy`,
            {
              environment: cfg.environment,
              instance: rds.instance,
              appSecretArn: secrets.app.arn,
              kmsKeyArn: rds.key.arn,
              subnetIds: cfg.rds.subnetIds,
              databaseSecurityGroupIds: cfg.rds.securityGroupIds,
              clientSecurityGroupIds: cfg.rds.proxy.clientSecurityGroupIds,
              port: this.endpoint.port,
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
      migrationsComponentName(name),
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
        backup: backupPlan(cfg, projectDir, rds && aws ? { rds, aws } : undefined),
        operator: currentOperator(),
        after: [
          this.database,
          ...this.database.roleResources,
          ...this.database.privileges,
          ...this.database.extensions,
        ],
        protect: cfg.protect,
        provider: args.migrationsProvider,
      },
      { parent },
    );
    this.registerOutputs({});
  }

  private storeInSecretsManager(
    aws: AwsBuilders,
    name: string,
    cfg: PrecogConfig,
    passwords: Passwords,
    kmsKeyId: pulumi.Output<string>,
  ) {
    const rotation = cfg.rds && cfg.rotation.days > 0 ? this.rotationSchedule(aws, name, cfg, kmsKeyId) : undefined;
    const secrets = mapRoles(
      (role) =>
        new aws.RoleSecret(
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
      new aws.RotationAlarm(
        `${name}-rotation-alarm`,
        { environment: cfg.environment, secretArns: LOGIN_ROLES.map((r) => secrets[r].arn), kmsKeyArn: kmsKeyId },
        { parent: this },
      );
    return secrets;
  }

  /** Every role secret's schedule: the stack's own rotation function, or precog:rotation.lambdaArn. */
  private rotationSchedule(aws: AwsBuilders, name: string, cfg: PrecogConfig, kmsKeyArn: pulumi.Output<string>) {
    const rds = cfg.rds as NonNullable<PrecogConfig["rds"]>;
    const fn = new aws.RotationFunction(
      `${name}-rotation`,
      {
        environment: cfg.environment,
        lambdaArn: cfg.rotation.lambdaArn,
        subnetIds: rds.subnetIds,
        databaseSecurityGroupIds: rds.securityGroupIds,
        port: this.endpoint.port,
        kmsKeyArn,
      },
      { parent: this },
    );
    return { days: cfg.rotation.days, lambdaArn: fn.arn, ready: fn.ready };
  }
}

/** Before staging and prod migrate: an RDS snapshot on aws, the engine's pg_dump on a local server. */
export function backupPlan(
  cfg: PrecogConfig,
  projectDir: string,
  server: { rds: RdsServer; aws: AwsBuilders } | undefined,
): pulumi.Input<BackupPlan> {
  if (!ENVIRONMENT_TRAITS[cfg.environment].strict) return { kind: "none" };
  if (server)
    return server.rds.instance.identifier.apply((instanceId) => ({
      kind: "rds-snapshot" as const,
      instanceId,
      region: server.aws.awsRegion(),
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
