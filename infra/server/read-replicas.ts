/**
 * The read replicas (precog:rds.replicas): `precog-<env>-replica-<n>`, for the readonly role. Each
 * is encrypted, private, on the instance's parameters (the same max_connections, which PostgreSQL
 * requires of a hot standby, TLS forced, the same logging) and its storage settings (autoscaling
 * ceiling, gp3 IOPS and throughput; Database Insights mode), logs in by IAM as the instance does,
 * exports its server log into a log group of the stack's, and keeps no backups of its own (the
 * instance's are the stack's). Deleting one takes no final snapshot: AWS takes none of a replica.
 *
 *   same region     replicateSourceDb the instance's identifier; the source's key, parameter group
 *                   and subnet group (RDS: a same-region replica takes its source's key)
 *   otherRegion     replicateSourceDb the instance's ARN (RDS takes a cross-region source by ARN);
 *                   in that region a key of the stack's (a KMS key is regional; RDS needs one there
 *                   for an encrypted source), a parameter group with the same values (a cross-region
 *                   replica would get the region's default group), a subnet group of the given
 *                   subnets, and the replica-lag alarms with an on-call topic of that region (an
 *                   alarm acts only on a topic of its own region)
 *
 * The source's master password must not be managed by RDS in Secrets Manager: RDS refuses to
 * create a replica of such an instance (./master-password.ts; docs/operations.md, "Read replicas").
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { RdsConfig } from "../../src/config/parse";
import { replicaIdentifiers } from "../../src/config/rds-identifier";
import { onCallNames } from "./alarms";
import { accountAdministers, cloudWatchLogsMay } from "./key-policy";
import { parameterList } from "./parameters";

type Replicas = NonNullable<RdsConfig["replicas"]>;

export interface ReadReplicasArgs {
  readonly environment: string;
  readonly rds: RdsConfig & { replicas: Replicas };
  readonly source: aws.rds.Instance;
  /** The instance's parameter group (same region) and its parameters' max_connections (another region). */
  readonly parameterGroupName: pulumi.Input<string>;
  readonly maxConnections: number;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly monitoringRoleArn?: pulumi.Input<string>;
  readonly account: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly protect: boolean;
  readonly timeouts: { create: string; update: string; delete: string };
}

export interface ReadReplicas {
  readonly instances: aws.rds.Instance[];
  /** The identifiers whose ReplicaLag the instance's region alarms on (same-region replicas); another region alarms on its own. */
  readonly alarmedHere: string[];
}

export function readReplicas(name: string, args: ReadReplicasArgs, parent: pulumi.Resource): ReadReplicas {
  const { rds, tags } = args;
  const ids = replicaIdentifiers(args.environment, rds.replicas.count);
  const other = rds.replicas.otherRegion;
  // Its region is another than the stack's: checked before anything is registered (src/config/check-replicas.ts).
  const there = other ? regionalBase(`${name}-region`, args, other, ids, parent) : undefined;
  const region = other ? { region: other.region } : {};
  const keyArn = there ? there.key.arn : args.kmsKeyArn;
  const instances = ids.map((identifier, i) => {
    const n = i + 1;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-${n}-log-postgresql`,
      {
        ...region,
        name: `/aws/rds/instance/${identifier}/postgresql`,
        retentionInDays: rds.logRetentionDays,
        kmsKeyId: keyArn,
        tags: { ...tags },
      },
      { parent, protect: args.protect, retainOnDelete: true },
    );
    return new aws.rds.Instance(
      `${name}-${n}`,
      {
        ...region,
        identifier,
        replicateSourceDb: there ? args.source.arn : args.source.identifier,
        instanceClass: rds.replicas.instanceClass ?? rds.instanceClass,
        storageType: "gp3",
        // The source's storage settings: a replica that cannot grow as far as its source stops
        // replicating once the source outgrows it; the same gp3 performance and Database Insights.
        maxAllocatedStorage: rds.maxAllocatedStorage,
        iops: rds.iops,
        storageThroughput: rds.storageThroughput,
        databaseInsightsMode: rds.databaseInsightsMode,
        // Same region: the source's key (RDS: give none); another: the stack's key there.
        storageEncrypted: true,
        ...(there
          ? {
              kmsKeyId: there.key.arn,
              dbSubnetGroupName: there.subnetGroup.name,
              parameterGroupName: there.parameters.name,
            }
          : { parameterGroupName: args.parameterGroupName }),
        vpcSecurityGroupIds: [...(other ? other.securityGroupIds : rds.securityGroupIds)],
        publiclyAccessible: false,
        multiAz: false,
        iamDatabaseAuthenticationEnabled: true,
        caCertIdentifier: rds.caCertIdentifier,
        performanceInsightsEnabled: rds.performanceInsightsRetentionDays > 0,
        performanceInsightsKmsKeyId: rds.performanceInsightsRetentionDays > 0 ? keyArn : undefined,
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
  if (there && rds.alarms.enabled)
    regionalLagAlarms(`${name}-alarms`, args, other as OtherRegion, there.key, ids, instances, parent);
  return { instances, alarmedHere: there ? [] : ids };
}

type OtherRegion = NonNullable<Replicas["otherRegion"]>;

/** The replicas' region: the stack's key there, a parameter group with the instance's values, a subnet group. */
function regionalBase(
  name: string,
  args: ReadReplicasArgs,
  other: OtherRegion,
  ids: readonly string[],
  parent: pulumi.Resource,
) {
  const { region } = other;
  const { account, environment, rds, tags } = args;
  const prefix = `precog-${environment}-replica-`;
  const policy = {
    Version: "2012-10-17",
    Statement: [
      accountAdministers(account),
      cloudWatchLogsMay(
        "CloudWatchLogsOfTheReplicas",
        region,
        `arn:aws:logs:${region}:${account}:log-group:/aws/rds/instance/${prefix}*`,
      ),
      {
        Sid: "CloudWatchPublishesTheReplicaAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:${account}:alarm:${prefix}*` } },
      },
    ],
  };
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      region,
      description: `Precog ${environment}: the read replicas ${ids.join(", ")}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify(policy),
      tags: { ...tags },
    },
    { parent, protect: args.protect, retainOnDelete: true },
  );
  new aws.kms.Alias(
    `${name}-key-alias`,
    { region, name: `alias/precog-${environment}-replicas`, targetKeyId: key.keyId },
    { parent },
  );
  const parameters = new aws.rds.ParameterGroup(
    `${name}-params`,
    {
      region,
      name: `${prefix.slice(0, -1)}s-${rds.parameterGroupFamily}`,
      family: rds.parameterGroupFamily,
      description: `Precog ${environment} replicas: the instance's parameters`,
      parameters: parameterList(rds, args.maxConnections),
      tags: { ...tags },
    },
    { parent, deleteBeforeReplace: false },
  );
  const subnetGroup = new aws.rds.SubnetGroup(
    `${name}-subnets`,
    {
      region,
      subnetIds: [...other.subnetIds],
      description: `Precog ${environment} read replica subnets`,
      tags: { ...tags },
    },
    { parent },
  );
  return { key, parameters, subnetGroup };
}

/** ReplicaLag alarms in the replicas' region, into an on-call topic of that region encrypted with the stack's key there. */
function regionalLagAlarms(
  name: string,
  args: ReadReplicasArgs,
  other: OtherRegion,
  key: aws.kms.Key,
  ids: readonly string[],
  instances: aws.rds.Instance[],
  parent: pulumi.Resource,
): void {
  const { region } = other;
  const { alarms } = args.rds;
  const names = onCallNames(args.environment);
  const topic = new aws.sns.Topic(
    `${name}-topic`,
    { region, name: names.topic, kmsMasterKeyId: key.arn, tags: { ...args.tags } },
    { parent },
  );
  new aws.sns.TopicPolicy(
    `${name}-topic-policy`,
    {
      region,
      arn: topic.arn,
      policy: topic.arn.apply((topicArn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudWatchAlarmsOfTheReplicas",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
              Resource: topicArn,
              Condition: {
                ArnLike: {
                  "aws:SourceArn": `arn:aws:cloudwatch:${region}:${args.account}:alarm:precog-${args.environment}-replica-*`,
                },
              },
            },
          ],
        }),
      ),
    },
    { parent },
  );
  ids.forEach((identifier, i) => {
    new aws.cloudwatch.MetricAlarm(
      `${name}-replica-${i + 1}-lag`,
      {
        region,
        name: `${names.alarmPrefix}replica-${i + 1}-lag`,
        alarmDescription: `Precog ${args.environment}: read replica ${identifier} more than ${alarms.replicaLagSeconds} s behind (precog:rds.alarms.replicaLagSeconds)`,
        namespace: "AWS/RDS",
        metricName: "ReplicaLag",
        dimensions: { DBInstanceIdentifier: identifier },
        statistic: "Average",
        period: alarms.periodSeconds,
        evaluationPeriods: alarms.evaluationPeriods,
        comparisonOperator: "GreaterThanThreshold",
        threshold: alarms.replicaLagSeconds,
        treatMissingData: "breaching",
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        tags: { ...args.tags },
      },
      { parent, dependsOn: [instances[i]] },
    );
  });
}
