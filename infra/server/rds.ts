/**
 * RdsServer: the aws server kind. One encrypted, private RDS PostgreSQL instance with TLS forced,
 * audit logging, automated backups, and its master password managed by RDS in Secrets Manager (so
 * it never passes through Pulumi state as plaintext).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RdsConfig } from "../config/parse";
import type { ServerEndpoint } from "./endpoint";

export interface RdsServerArgs {
  readonly rds: RdsConfig;
  readonly environment: string;
  /** max_connections on the parameter group: the budget the stack's limits were checked against. */
  readonly maxConnections: number;
  /** Protect the instance from deletion by Pulumi. */
  readonly protect: boolean;
}

export const MASTER_USER = "precog_admin";

/** Audit and safety parameters; pgaudit ones only when precog:rds.pgaudit asks for them. */
export function parameterList(
  rds: Pick<RdsConfig, "pgaudit">,
  maxConnections: number,
): aws.types.input.rds.ParameterGroupParameter[] {
  const params: aws.types.input.rds.ParameterGroupParameter[] = [
    { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
    { name: "max_connections", value: String(maxConnections), applyMethod: "pending-reboot" },
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    { name: "log_statement", value: "ddl", applyMethod: "immediate" },
    { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
  ];
  if (rds.pgaudit) {
    params.push(
      { name: "shared_preload_libraries", value: "pg_stat_statements,pgaudit", applyMethod: "pending-reboot" },
      { name: "pgaudit.log", value: "ddl,role", applyMethod: "immediate" },
    );
  }
  return params;
}

export class RdsServer extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly endpoint: ServerEndpoint;

  constructor(name: string, args: RdsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:server:RdsServer", name, {}, opts);
    const parent = this;
    const { rds } = args;
    const tags = { "precog:environment": args.environment, "precog:managed-by": "pulumi" };

    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        subnetIds: [...rds.subnetIds],
        description: `Precog ${args.environment} database subnets`,
        tags,
      },
      { parent },
    );

    const parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: rds.parameterGroupFamily,
        description: `Precog ${args.environment}: TLS forced, connection and DDL audit logging`,
        parameters: parameterList(rds, args.maxConnections),
        tags,
      },
      { parent },
    );

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        engine: "postgres",
        engineVersion: rds.engineVersion,
        instanceClass: rds.instanceClass,
        allocatedStorage: rds.allocatedStorage,
        maxAllocatedStorage: rds.maxAllocatedStorage,
        storageType: "gp3",
        storageEncrypted: true,
        multiAz: rds.multiAz,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [...rds.securityGroupIds],
        parameterGroupName: parameterGroup.name,
        publiclyAccessible: false,
        username: MASTER_USER,
        manageMasterUserPassword: true,
        backupRetentionPeriod: rds.backupRetentionDays,
        copyTagsToSnapshot: true,
        deletionProtection: rds.deletionProtection,
        skipFinalSnapshot: !rds.finalSnapshot,
        finalSnapshotIdentifier: rds.finalSnapshot ? `precog-${args.environment}-final` : undefined,
        enabledCloudwatchLogsExports: ["postgresql"],
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
        tags,
      },
      { parent, protect: args.protect },
    );

    const masterSecretArn = this.instance.masterUserSecrets.apply((s) => s[0]?.secretArn ?? "");
    const masterSecret = aws.secretsmanager.getSecretVersionOutput({ secretId: masterSecretArn }, { parent });
    this.endpoint = {
      host: this.instance.address,
      port: this.instance.port,
      adminHost: rds.adminHost ?? this.instance.address,
      adminUser: MASTER_USER,
      adminPassword: pulumi.secret(masterSecret.secretString.apply((s) => String(JSON.parse(s).password))),
      sslMode: "require",
      superuser: false,
      dependsOn: [this.instance],
    };
    this.registerOutputs({ address: this.instance.address, port: this.instance.port });
  }
}
