/**
 * PrecogEnvironment: everything one stack provisions, read as a script of named steps:
 *
 *   server       find the local server, or create the RDS instance (`Server`: local | aws)
 *   roles        one generated password per login role that logs in by password (on aws the
 *                migrator logs in by IAM and has none: src/env/roles.ts `loginMethod`)
 *   database     the database, its roles (from the same list) and privileges
 *   credentials  how each login's password is delivered: a secret output, or Secrets Manager on aws
 *                (plus the optional RDS Proxy); on aws the migrator's is an IAM token, no secret
 *   migrations   the migration component, its arguments built by `migrationsArgs` (which the
 *                engine suites' twin, tests/engine/owned-program.ts, calls too)
 *   outputs      what infra/outputs.ts exports: the fields below
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type PrecogConfig, serverKind } from "../src/config/parse";
import { currentOperator, ENVIRONMENT_TRAITS } from "../src/env/environment";
import { loginMethod, migrationLogin, migrationRole } from "../src/env/roles";
import type * as awsBuilders from "./aws-builders";
import { createPasswords, LOGIN_ROLES, type LoginRole, mapRoles, type Passwords } from "./credentials/passwords";
import { PrecogDatabase } from "./database/precog-database";
import { PrecogMigrations, type PrecogMigrationsArgs } from "./migrations/component";
import type { BackupPlan, MigrationsLogin } from "./migrations/contract";
import { type MigrationsProvider, type MigrationsProviderFor, migrationsComponentName } from "./migrations/resource";
import type { ServerEndpoint } from "./server/endpoint";
import { localServer } from "./server/local";
import type { RdsServer } from "./server/rds";

/** The aws stacks' builders, which the program loads on aws stacks only. */
export type AwsBuilders = typeof awsBuilders;

/** The stack's server, of one kind or the other: only an aws one has an RDS instance and the aws builders. */
export type Server =
  | { readonly kind: "local"; readonly endpoint: ServerEndpoint }
  | { readonly kind: "aws"; readonly endpoint: ServerEndpoint; readonly rds: RdsServer; readonly aws: AwsBuilders };

/** How a login role's credentials are delivered. */
export interface CredentialRef {
  /** `aws-iam`: no password at all, an IAM token signed by whoever logs in (src/env/rds-iam-token.ts). */
  readonly source: "pulumi-secret-output" | "aws-secrets-manager" | "aws-iam";
  /** The Secrets Manager secret of a password login on aws stacks; null otherwise. */
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
  /**
   * The migration component's provider, given its config (./migrations/resource.ts): program()
   * registers an aws stack's first; a local stack's holds the migrator's password.
   */
  readonly migrationsProvider: MigrationsProviderFor;
  /**
   * An aws stack's max_connections in force (./server/parameters-now.ts): below
   * connections.serverMax while a raise waits for a reboot; the connections alarm watches it.
   */
  readonly maxConnectionsInForce?: number;
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
    const { config: cfg, projectDir } = args;

    // server
    const server = this.server(name, args);
    this.endpoint = server.endpoint;
    this.rds = server.kind === "aws" ? server.rds : null;

    // roles: one password per login role that logs in by password
    const passwords = createPasswords(name, this, cfg.protect, serverKind(cfg));

    // database
    this.database = this.databaseWithRoles(name, cfg, server.endpoint, passwords);

    // credentials
    const delivered = this.credentialsOf(name, cfg, server, passwords);
    this.credentials = delivered.credentials;
    this.proxyEndpoint = delivered.proxyEndpoint;

    // migrations
    this.migrations = new PrecogMigrations(
      migrationsComponentName(name),
      migrationsArgs({
        config: cfg,
        projectDir,
        server,
        migrator: delivered.migrator,
        after: [
          this.database,
          ...this.database.roleResources,
          ...this.database.privileges,
          ...this.database.extensions,
        ],
        provider: args.migrationsProvider(
          delivered.migrator.kind === "password" ? { migratorPassword: delivered.migrator.password } : {},
        ),
        operator: currentOperator(),
      }),
      { parent: this },
    );

    // outputs: the fields above, which infra/outputs.ts exports
    this.registerOutputs({});
  }

  /** Step server: the local server the config names, or the RDS instance it describes. */
  private server(name: string, args: PrecogEnvironmentArgs): Server {
    const { config: cfg, aws, projectDir } = args;
    if (!cfg.rds) return { kind: "local", endpoint: localServer(cfg.local, cfg.stack, projectDir) };
    if (!aws) throw new Error(`Stack "${cfg.stack}" has an aws server: PrecogEnvironment needs args.aws`);
    const rds = new aws.RdsServer(
      `${name}-server`,
      {
        rds: cfg.rds,
        environment: cfg.environment,
        maxConnections: cfg.connections.serverMax,
        connectionBudget: (args.maxConnectionsInForce ?? cfg.connections.serverMax) - cfg.connections.reserved,
        protect: cfg.protect,
        caBundlePath: aws.caBundlePath(cfg.rds.caBundleFile, projectDir, cfg.stack),
        iamLogins: iamLogins("aws").map((role) => cfg.roleNames[role]),
      },
      { parent: this },
    );
    return { kind: "aws", endpoint: rds.endpoint, rds, aws };
  }

  /** Step database: the database with its roles (one per entry of the roles' lists) and privileges. */
  private databaseWithRoles(name: string, cfg: PrecogConfig, endpoint: ServerEndpoint, passwords: Passwords) {
    return new PrecogDatabase(
      `${name}-db`,
      {
        endpoint,
        environment: cfg.environment,
        database: cfg.database,
        roles: cfg.roleNames,
        passwords,
        iamLogins: iamLogins(serverKind(cfg)),
        connectionLimits: cfg.connectionLimits,
        timeouts: mapRoles((role) => cfg.roles[role]),
        protect: cfg.protect,
        pgaudit: cfg.rds ? cfg.rds.pgaudit : cfg.local.pgaudit,
      },
      { parent: this },
    );
  }

  /**
   * Step credentials: on a local server each password is a secret output; on aws each role's
   * credentials live in Secrets Manager (rotated there), the app's behind the optional RDS Proxy.
   * The migrator logs in with its generated password (local), or by IAM database authentication,
   * with no password or secret (aws: the plugin signs a token when it connects).
   */
  private credentialsOf(name: string, cfg: PrecogConfig, server: Server, passwords: Passwords) {
    if (server.kind === "local" || !cfg.rds)
      return {
        credentials: mapRoles(
          (role): CredentialRef => ({
            source: "pulumi-secret-output",
            secretArn: null,
            password: passwords[role] ?? null,
          }),
        ),
        proxyEndpoint: null,
        migrator: {
          kind: "password",
          password: required(migrationLogin(mapRoles((role) => passwords[role])), "the migrator's password"),
        } as MigratorLogin,
      };
    const { aws, rds } = server;
    const secrets = this.storeInSecretsManager(aws, name, cfg, passwords, rds.key.arn);
    const proxyEndpoint = cfg.rds.proxy
      ? new aws.RdsProxy(
          `${name}-proxy`,
          {
            environment: cfg.environment,
            instance: rds.instance,
            appSecretArn: required(secrets.app, "the app role's secret").arn,
            kmsKeyArn: rds.key.arn,
            subnetIds: cfg.rds.subnetIds,
            databaseSecurityGroupIds: cfg.rds.securityGroupIds,
            clientSecurityGroupIds: cfg.rds.proxy.clientSecurityGroupIds,
            port: this.endpoint.port,
            maxConnectionsPercent: cfg.rds.proxy.maxConnectionsPercent,
          },
          { parent: this },
        ).endpoint
      : null;
    return {
      credentials: mapRoles((role): CredentialRef => {
        const secret = secrets[role];
        return secret
          ? { source: "aws-secrets-manager", secretArn: secret.arn, password: null }
          : { source: "aws-iam", secretArn: null, password: null };
      }),
      proxyEndpoint,
      // No password: the migration plugin signs the migrator's IAM token when it connects.
      migrator: { kind: "aws-iam", region: aws.awsRegion() } as MigratorLogin,
    };
  }

  private storeInSecretsManager(
    aws: AwsBuilders,
    name: string,
    cfg: PrecogConfig,
    passwords: Passwords,
    kmsKeyId: pulumi.Output<string>,
  ) {
    const rotation = cfg.rds && cfg.rotation.days > 0 ? this.rotationSchedule(aws, name, cfg, kmsKeyId) : undefined;
    const secrets: Partial<Record<LoginRole, InstanceType<AwsBuilders["RoleSecret"]>>> = {};
    for (const role of LOGIN_ROLES) {
      const password = passwords[role];
      if (password)
        secrets[role] = new aws.RoleSecret(
          `${name}-secret-${role}`,
          {
            environment: cfg.environment,
            role,
            username: this.database.roles[role],
            password,
            host: this.endpoint.host,
            port: this.endpoint.port,
            database: cfg.database,
            pool: role === "app" ? cfg.pool : undefined,
            rotation,
            protect: cfg.protect,
            kmsKeyId,
          },
          { parent: this },
        );
    }
    if (rotation)
      new aws.RotationAlarm(
        `${name}-rotation-alarm`,
        {
          environment: cfg.environment,
          secretArns: LOGIN_ROLES.flatMap((r) => secrets[r]?.arn ?? []),
          kmsKeyArn: kmsKeyId,
        },
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

/** The login roles that log in by IAM on a server of `kind` (none on a local one). */
function iamLogins(kind: "local" | "aws"): LoginRole[] {
  return LOGIN_ROLES.filter((role) => loginMethod(role, kind) === "aws-iam");
}

/** `value`, which the program's own lists guarantee; an error naming `what` if they ever do not. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`PrecogEnvironment: ${what} is missing`);
  return value;
}

/** Where the migrator connects: the part of a server's endpoint the migrations step reads. */
export type MigrationsEndpoint = Pick<ServerEndpoint, "adminHost" | "port" | "sslMode" | "sslRootCert">;

/** What the migrations step needs of the server: a local one's address, or the RDS instance it snapshots. */
export type MigrationsServer =
  | { readonly kind: "local"; readonly endpoint: MigrationsEndpoint }
  | Extract<Server, { kind: "aws" }>;

/**
 * How the migrator logs in: with its generated password, which the migration provider's config
 * holds (local stacks), or by IAM database authentication, a token the plugin signs when it
 * connects (aws stacks: the migrator has no password there).
 */
export type MigratorLogin =
  | { readonly kind: "password"; readonly password: pulumi.Input<string> }
  | { readonly kind: "aws-iam"; readonly region: string };

export interface MigrationsStep {
  readonly config: PrecogConfig;
  readonly projectDir: string;
  readonly server: MigrationsServer;
  readonly migrator: MigratorLogin;
  /** The database, roles and privileges the migrations come after. */
  readonly after: readonly pulumi.Resource[];
  readonly provider: MigrationsProvider;
  readonly operator: string;
}

/**
 * Step migrations: the migration component's arguments. Logged in as the migrator, acting as the
 * owner role, its password found where `migrator` says (no credential is an input); the stack
 * before this one; the backup plan; protected as the stack's data is.
 */
export function migrationsArgs(s: MigrationsStep): PrecogMigrationsArgs {
  const { config: cfg, server, migrator } = s;
  const { endpoint } = server;
  return {
    environment: cfg.environment,
    login: pulumi.all([endpoint.adminHost, endpoint.port]).apply(([host, port]): MigrationsLogin => {
      const target = {
        host,
        port,
        database: cfg.database,
        user: migrationLogin(cfg.roleNames),
        ownerRole: migrationRole(cfg.roleNames),
        sslMode: endpoint.sslMode,
        ...(endpoint.sslRootCert === undefined ? {} : { sslRootCert: endpoint.sslRootCert }),
      };
      return migrator.kind === "password"
        ? { kind: "provider-config", ...target }
        : { kind: "aws-iam", region: migrator.region, ...target };
    }),
    dir: resolve(s.projectDir, "migrations"),
    predecessor: cfg.migrations.predecessor,
    backup: backupPlan(cfg, s.projectDir, server),
    operator: s.operator,
    after: s.after,
    protect: cfg.protect,
    provider: s.provider,
  };
}

/** Before staging and prod migrate: an RDS snapshot on aws, the engine's pg_dump on a local server. */
export function backupPlan(cfg: PrecogConfig, projectDir: string, server: MigrationsServer): pulumi.Input<BackupPlan> {
  if (!ENVIRONMENT_TRAITS[cfg.environment].strict) return { kind: "none" };
  if (server.kind === "aws")
    return server.rds.instance.identifier.apply((instanceId) => ({
      kind: "rds-snapshot" as const,
      instanceId,
      region: server.aws.awsRegion(),
      keepLast: cfg.migrations.keepSnapshots,
      keepDays: cfg.migrations.keepSnapshotDays,
    }));
  if (!cfg.migrations.backupDir) {
    throw new pulumi.RunError(
      `Stack "${cfg.stack}" migrates ${cfg.environment} on a local server, which needs a backup folder first: set precog:migrations.backupDir ` +
        `(pulumi config set --stack ${cfg.stack} --path precog:migrations.backupDir <folder>).`,
    );
  }
  return { kind: "pg_dump", dir: resolve(projectDir, cfg.migrations.backupDir) };
}
