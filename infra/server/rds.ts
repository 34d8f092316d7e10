/**
 * RdsServer: the aws server kind. One encrypted, private RDS PostgreSQL instance with TLS forced,
 * audit logging, automated backups, IAM database authentication, and its master password managed
 * by RDS in Secrets Manager. The program never reads that password: the master is for the one-time
 * bootstrap (`precog-db bootstrap-sql`, which creates the deployer) and break-glass access only. The
 * provisioning connection logs in as the deployer by IAM (a token, no password in state or a
 * preview) and verifies the instance's certificate (verify-full) against the pinned CA's roots,
 * precog:rds.caBundleFile.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RdsConfig } from "../../src/config/parse";
import { instanceIdentifier } from "../../src/config/rds-identifier";
import { DEPLOYER_LOGIN, MASTER_LOGIN } from "../../src/env/roles";
import { onCallSources, ServerAlarms } from "./alarms";
import { backupReplication } from "./backup-replication";
import type { ServerEndpoint } from "./endpoint";
import { iamLoginPolicies } from "./iam-login-policies";
import { masterPasswordInputs } from "./master-password";
import { monitoringRole } from "./monitoring-role";
import { parameterList } from "./parameters";
import { readReplicas } from "./read-replicas";
import { restoreInputs } from "./restore";
import { deployAccount, stackKey } from "./stack-key";

export interface RdsServerArgs {
  readonly rds: RdsConfig;
  readonly environment: string;
  /** max_connections on the parameter group: the budget the stack's limits were checked against. */
  readonly maxConnections: number;
  /** The login roles' connection budget (max_connections minus the reserved ones), which the connections alarm watches. */
  readonly connectionBudget: number;
  /** Protect the instance from deletion by Pulumi. */
  readonly protect: boolean;
  /** Absolute path of precog:rds.caBundleFile: the roots the instance's certificate is verified against. */
  readonly caBundlePath: string;
  /** The stack's logins that log in by IAM besides the deployer (the migrator's name: src/env/roles.ts IAM_LOGINS). */
  readonly iamLogins: readonly string[];
}

/**
 * Long enough for a Multi-AZ create (the standby's sync), a restore, the first backup of prod's
 * volume and a major upgrade with applyImmediately: the provider's defaults (40 and 80 minutes) are
 * shorter than AWS takes for those, and an up that times out leaves the state unsure of the instance.
 */
export const INSTANCE_TIMEOUTS = { create: "4h", update: "4h", delete: "2h" };

/** The instance's inputs of a restore (./restore.ts), which a removed precog:rds.restore leaves as they are. */
export const RESTORE_INPUTS = ["snapshotIdentifier", "restoreToPointInTime"] as const;

/** The logs the instance exports to CloudWatch, each into a log group this component manages. */
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** The parameter group's name: the instance's identifier and the group's family (precog-prod-postgres16). */
export function parameterGroupName(environment: string, family: string): string {
  return `${instanceIdentifier(environment)}-${family}`;
}

export class RdsServer extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly endpoint: ServerEndpoint;
  /** The stack's customer-managed KMS key: storage, secrets, Performance Insights, logs. */
  readonly key: aws.kms.Key;
  /** The CloudWatch log group of the server log. */
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The Secrets Manager secret RDS keeps the master password in (manageMasterUserPassword); null with replicas (./master-password.ts). */
  readonly masterSecretArn: pulumi.Output<string> | null;
  /** The read replicas (precog:rds.replicas), in order; none when unset. */
  readonly replicas: readonly aws.rds.Instance[];
  /** The deploy role's database logins and the preview role's guard (./iam-login-policies.ts). */
  readonly iamPolicies: ReturnType<typeof iamLoginPolicies>;

  constructor(name: string, args: RdsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:server:RdsServer", name, {}, opts);
    const parent = this;
    const { rds } = args;
    const tags = { "precog:environment": args.environment, "precog:managed-by": "pulumi" };
    const identifier = instanceIdentifier(args.environment);
    const [account, region] = [deployAccount(), aws.config.requireRegion()];
    const onCall = rds.alarms.enabled ? onCallSources(args.environment, account, region) : undefined;
    this.key = stackKey(
      `${name}-key`,
      {
        environment: args.environment,
        identifier,
        tags,
        protect: args.protect,
        onCall,
      },
      parent,
    );

    // RDS would create these groups itself on first export, unencrypted and kept forever. They are
    // the audit trail: kept when the stack is destroyed (retainOnDelete), like the backups.
    const logGroups = LOG_EXPORTS.map(
      (log) =>
        new aws.cloudwatch.LogGroup(
          `${name}-log-${log}`,
          {
            name: `/aws/rds/instance/${identifier}/${log}`,
            retentionInDays: rds.logRetentionDays,
            kmsKeyId: this.key.arn,
            tags,
          },
          { parent, protect: args.protect, retainOnDelete: true },
        ),
    );
    this.logGroup = logGroups[0];

    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        subnetIds: [...rds.subnetIds],
        description: `Precog ${args.environment} database subnets`,
        tags,
      },
      { parent },
    );

    // Named for its family: a major upgrade's new group has a new name, so it is created before the
    // old one goes (the old one is deleted once the instance uses the new one), never the reverse.
    const parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        name: parameterGroupName(args.environment, rds.parameterGroupFamily),
        family: rds.parameterGroupFamily,
        description: `Precog ${args.environment}: TLS forced, connections and pgaudit role and DDL logging`,
        parameters: parameterList(rds, args.maxConnections),
        tags,
      },
      { parent, deleteBeforeReplace: false },
    );

    const monitoring =
      rds.monitoringIntervalSeconds > 0 ? monitoringRole(`${name}-monitoring`, tags, parent) : undefined;
    // A fresh suffix per instance: a second deletion (after the stack is re-created) never collides
    // with the first one's snapshot.
    const snapshotSuffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, { parent });

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        identifier,
        engine: "postgres",
        engineVersion: rds.engineVersion,
        instanceClass: rds.instanceClass,
        allocatedStorage: rds.allocatedStorage,
        maxAllocatedStorage: rds.maxAllocatedStorage,
        storageType: "gp3",
        iops: rds.iops,
        storageThroughput: rds.storageThroughput,
        databaseInsightsMode: rds.databaseInsightsMode,
        storageEncrypted: true,
        kmsKeyId: this.key.arn,
        performanceInsightsEnabled: rds.performanceInsightsRetentionDays > 0,
        performanceInsightsKmsKeyId: rds.performanceInsightsRetentionDays > 0 ? this.key.arn : undefined,
        performanceInsightsRetentionPeriod:
          rds.performanceInsightsRetentionDays > 0 ? rds.performanceInsightsRetentionDays : undefined,
        monitoringInterval: rds.monitoringIntervalSeconds,
        monitoringRoleArn: monitoring?.role.arn,
        maintenanceWindow: rds.maintenanceWindow,
        backupWindow: rds.backupWindow,
        deleteAutomatedBackups: false,
        caCertIdentifier: rds.caCertIdentifier,
        engineLifecycleSupport: rds.extendedSupport
          ? "open-source-rds-extended-support"
          : "open-source-rds-extended-support-disabled",
        multiAz: rds.multiAz,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [...rds.securityGroupIds],
        parameterGroupName: parameterGroup.name,
        publiclyAccessible: false,
        username: MASTER_LOGIN,
        ...masterPasswordInputs(`${name}-master-password`, rds, this.key.arn, args.protect, parent),
        // The deployer and the migrator log in by IAM tokens (granted rds_iam); nobody else is granted it.
        iamDatabaseAuthenticationEnabled: true,
        backupRetentionPeriod: rds.backupRetentionDays,
        copyTagsToSnapshot: true,
        deletionProtection: rds.deletionProtection,
        skipFinalSnapshot: !rds.finalSnapshot,
        finalSnapshotIdentifier: rds.finalSnapshot
          ? pulumi.interpolate`precog-${args.environment}-final-${snapshotSuffix.hex}`
          : undefined,
        enabledCloudwatchLogsExports: [...LOG_EXPORTS],
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: rds.allowMajorVersionUpgrade,
        applyImmediately: rds.applyImmediately,
        ...restoreInputs(rds.restore),
        tags,
      },
      {
        parent,
        protect: args.protect,
        // What AWS refuses to delete (deletion protection), Pulumi forgets instead of deleting: a
        // replacement (a restore, docs/operations.md) leaves the old instance, renamed, to be
        // deleted by hand once the restored one is checked.
        retainOnDelete: rds.deletionProtection,
        // RDS reads a restore's source only at creation: once precog:rds.restore is removed (after a
        // restore, to add replicas back), its recorded inputs stay and nothing is replaced. A
        // restore set or changed is a replacement, as it must be.
        ignoreChanges: rds.restore ? undefined : [...RESTORE_INPUTS],
        customTimeouts: INSTANCE_TIMEOUTS,
        dependsOn: [...logGroups, ...(monitoring ? [monitoring.attachment] : [])],
      },
    );

    const replicas = rds.replicas
      ? readReplicas(
          `${name}-replica`,
          {
            environment: args.environment,
            rds: { ...rds, replicas: rds.replicas },
            source: this.instance,
            parameterGroupName: parameterGroup.name,
            maxConnections: args.maxConnections,
            kmsKeyArn: this.key.arn,
            monitoringRoleArn: monitoring?.role.arn,
            account,
            tags,
            protect: args.protect,
            timeouts: INSTANCE_TIMEOUTS,
          },
          parent,
        )
      : { instances: [], alarmedHere: [] };
    this.replicas = replicas.instances;

    if (rds.backupReplication)
      backupReplication(
        `${name}-backup-copy`,
        {
          environment: args.environment,
          replication: rds.backupReplication,
          instanceArn: this.instance.arn,
          tags,
          protect: args.protect,
        },
        parent,
      );
    if (rds.alarms.enabled)
      new ServerAlarms(
        `${name}-alarms`,
        {
          environment: args.environment,
          identifier,
          alarms: rds.alarms,
          connectionBudget: args.connectionBudget,
          replicaIdentifiers: replicas.alarmedHere,
          kmsKeyArn: this.key.arn,
          account,
          region,
          tags,
        },
        { parent, dependsOn: [this.instance, ...this.replicas] },
      );

    this.masterSecretArn = rds.replicas ? null : this.instance.masterUserSecrets.apply((s) => s[0]?.secretArn ?? "");
    this.iamPolicies = iamLoginPolicies(
      `${name}-iam`,
      {
        environment: args.environment,
        account,
        region,
        resourceId: this.instance.resourceId,
        users: [DEPLOYER_LOGIN, ...args.iamLogins],
        keyArn: this.key.arn,
        tags,
      },
      parent,
    );
    this.endpoint = {
      host: this.instance.address,
      port: this.instance.port,
      adminHost: rds.adminHost ?? this.instance.address,
      admin: { kind: "aws-iam", user: DEPLOYER_LOGIN, region },
      // It carries the deployer's token: verify the server's certificate and name, as libpq does.
      sslMode: "verify-full",
      sslRootCert: args.caBundlePath,
      superuser: false,
      dependsOn: [this.instance],
    };
    this.registerOutputs({
      address: this.instance.address,
      port: this.instance.port,
      replicaAddresses: this.replicas.map((r) => r.address),
    });
  }
}

/**
 * precog:rds.caBundleFile, resolved against the project directory; an error naming the key, the
 * stack and the fix when it is not a readable PEM bundle.
 */
export function caBundlePath(file: string, projectDir: string, stack: string): string {
  const path = resolve(projectDir, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new pulumi.RunError(
      `Stack "${stack}": the RDS CA bundle ${path} (precog:rds.caBundleFile) cannot be read. ` +
        "Restore the committed config/rds-ca/rds-ca-rsa2048-g1.pem, or point the key at a PEM file of your CA's roots " +
        `(pulumi config set --stack ${stack} --path 'precog:rds.caBundleFile' <file>).`,
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw new pulumi.RunError(
      `Stack "${stack}": the RDS CA bundle ${path} (precog:rds.caBundleFile) holds no PEM certificate; ` +
        "it must be the CA's root certificates, each -----BEGIN CERTIFICATE-----.",
    );
  return path;
}
