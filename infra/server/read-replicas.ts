/**
 * The read replicas (precog:rds.replicas): `precog-<env>-replica-<n>` in the instance's region,
 * for the readonly role. Each is encrypted (as its source, with the stack's key), private, on the
 * instance's parameter group (so the same max_connections, which PostgreSQL requires of a hot
 * standby, and TLS forced and audit logging as on the instance), logs in by IAM as the instance
 * does, exports its server log into a log group of the stack's, and keeps no backups of its own
 * (RDS takes none of a PostgreSQL replica; the instance's are the stack's). Deleting one takes no
 * final snapshot: AWS takes none of a replica.
 *
 * The source's master password must not be managed by RDS in Secrets Manager: RDS refuses to
 * create a replica of such an instance (./rds.ts sets a generated one when replicas are
 * configured; docs/operations.md, "Read replicas").
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { RdsConfig } from "../../src/config/parse";
import { replicaIdentifiers } from "../../src/config/rds-identifier";

export interface ReadReplicasArgs {
  readonly environment: string;
  readonly rds: RdsConfig & { replicas: NonNullable<RdsConfig["replicas"]> };
  readonly source: aws.rds.Instance;
  readonly parameterGroupName: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly monitoringRoleArn?: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
  readonly protect: boolean;
  readonly timeouts: { create: string; update: string; delete: string };
}

export function readReplicas(name: string, args: ReadReplicasArgs, parent: pulumi.Resource): aws.rds.Instance[] {
  const { rds, tags } = args;
  return replicaIdentifiers(args.environment, rds.replicas.count).map((identifier, i) => {
    const n = i + 1;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-${n}-log-postgresql`,
      {
        name: `/aws/rds/instance/${identifier}/postgresql`,
        retentionInDays: rds.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: { ...tags },
      },
      { parent, protect: args.protect, retainOnDelete: true },
    );
    return new aws.rds.Instance(
      `${name}-${n}`,
      {
        identifier,
        replicateSourceDb: args.source.identifier,
        instanceClass: rds.replicas.instanceClass ?? rds.instanceClass,
        storageType: "gp3",
        // A replica in its source's region is encrypted with the source's key (RDS: give none).
        storageEncrypted: true,
        parameterGroupName: args.parameterGroupName,
        vpcSecurityGroupIds: [...rds.securityGroupIds],
        publiclyAccessible: false,
        multiAz: false,
        iamDatabaseAuthenticationEnabled: true,
        caCertIdentifier: rds.caCertIdentifier,
        performanceInsightsEnabled: rds.performanceInsightsRetentionDays > 0,
        performanceInsightsKmsKeyId: rds.performanceInsightsRetentionDays > 0 ? args.kmsKeyArn : undefined,
        performanceInsightsRetentionPeriod:
          rds.performanceInsightsRetentionDays > 0 ? rds.performanceInsightsRetentionDays : undefined,
        monitoringInterval: rds.monitoringIntervalSeconds,
        monitoringRoleArn: args.monitoringRoleArn,
        maintenanceWindow: rds.maintenanceWindow,
        backupRetentionPeriod: 0,
        deletionProtection: rds.deletionProtection,
        skipFinalSnapshot: true,
        enabledCloudwatchLogsExports: ["postgresql"],
        autoMinorVersionUpgrade: true,
        applyImmediately: rds.applyImmediately,
        copyTagsToSnapshot: true,
        tags: { ...tags, "precog:replica-of": `precog-${args.environment}` },
      },
      { parent, protect: args.protect, customTimeouts: args.timeouts, dependsOn: [logGroup] },
    );
  });
}
