/**
 * PrecogEnvironment: everything one stack provisions, read as a short script: find or create the
 * server, generate the login passwords, create the database with its roles and privileges, and on
 * aws keep each role's credentials in Secrets Manager (plus the optional RDS Proxy).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AwsServer, PrecogConfig } from "./config/parse";
import { createPasswords, LOGIN_ROLES, type LoginRole, type Passwords } from "./credentials/passwords";
import { RoleSecret } from "./credentials/role-secret";
import { PrecogDatabase } from "./database/precog-database";
import type { ServerEndpoint } from "./server/endpoint";
import { localServer } from "./server/local";
import { RdsServer } from "./server/rds";
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
}

export class PrecogEnvironment extends pulumi.ComponentResource {
  readonly endpoint: ServerEndpoint;
  readonly database: PrecogDatabase;
  readonly credentials: Readonly<Record<LoginRole, CredentialRef>>;
  /** The RDS Proxy endpoint when precog:proxy is on; null otherwise. */
  readonly proxyEndpoint: pulumi.Output<string> | null;

  constructor(name: string, args: PrecogEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:environment:PrecogEnvironment", name, {}, opts);
    const parent = this;
    const cfg = args.config;
    const server = cfg.server;

    const findServer = (): { endpoint: ServerEndpoint; rds?: RdsServer } => {
      if (server.kind === "local") return { endpoint: localServer(server, cfg.stack) };
      const rds = new RdsServer(`${name}-server`, {
        server,
        environment: cfg.environment,
        maxConnections: cfg.serverMaxConnections,
        protect: cfg.protect,
      }, { parent });
      return { endpoint: rds.endpoint, rds };
    };

    const { endpoint, rds } = findServer();
    const passwords = createPasswords(name, parent, cfg.protect);
    this.endpoint = endpoint;
    this.database = new PrecogDatabase(`${name}-db`, {
      endpoint,
      database: cfg.database,
      roles: cfg.roles,
      passwords,
      connectionLimits: cfg.connectionLimits,
      protect: cfg.protect,
    }, { parent });

    if (server.kind === "aws" && rds) {
      const secrets = this.storeInSecretsManager(name, cfg, server, passwords);
      this.credentials = mapRoles((role) => ({ source: "aws-secrets-manager", secretArn: secrets[role].arn, password: null }));
      this.proxyEndpoint = server.proxy
        ? new RdsProxy(`${name}-proxy`, {
            environment: cfg.environment,
            instance: rds.instance,
            appSecretArn: secrets.app.arn,
            subnetIds: server.subnetIds,
            securityGroupIds: server.securityGroupIds,
            maxConnectionsPercent: server.proxyMaxConnectionsPercent,
          }, { parent }).endpoint
        : null;
    } else {
      this.credentials = mapRoles((role) => ({ source: "pulumi-secret-output", secretArn: null, password: passwords[role] }));
      this.proxyEndpoint = null;
    }
    this.registerOutputs({});
  }

  private storeInSecretsManager(name: string, cfg: PrecogConfig, server: AwsServer, passwords: Passwords) {
    return mapRoles((role) =>
      new RoleSecret(`${name}-secret-${role}`, {
        environment: cfg.environment,
        role,
        username: this.database.roles[role],
        password: passwords[role],
        host: this.endpoint.host,
        port: this.endpoint.port,
        database: cfg.database,
        pool: cfg.pool,
        rotationDays: server.rotationDays,
        rotationLambdaArn: server.rotationLambdaArn,
        protect: cfg.protect,
      }, { parent: this }),
    );
  }
}

function mapRoles<T>(fn: (role: LoginRole) => T): Record<LoginRole, T> {
  return Object.fromEntries(LOGIN_ROLES.map((r) => [r, fn(r)])) as Record<LoginRole, T>;
}
