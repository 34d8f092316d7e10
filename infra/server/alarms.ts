/**
 * ServerAlarms: what tells on-call that the instance needs a person. CloudWatch alarms on free
 * storage, CPU and open connections (against the login roles' budget, connections.serverMax minus
 * reserved, which the config check holds their CONNECTION LIMITs to), and an RDS event
 * subscription (failover, maintenance, low storage, failure), all into one SNS topic,
 * `precog-<env>-on-call`, encrypted with the stack's key. The key policy lets CloudWatch and RDS
 * events use the key for these alarms and this subscription only (./stack-key.ts), and the topic
 * policy lets them publish, for the same sources. Thresholds are precog:rds.alarms. A failed
 * rotation has its own rule and topic (../credentials/rotation.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RdsConfig } from "../../src/config/parse";

export interface ServerAlarmsArgs {
  readonly environment: string;
  readonly identifier: string;
  readonly alarms: RdsConfig["alarms"];
  /** The login roles' connection budget: connections.serverMax minus connections.reserved. */
  readonly connectionBudget: number;
  /** The read replicas' identifiers (precog:rds.replicas): a ReplicaLag alarm each. */
  readonly replicaIdentifiers?: readonly string[];
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly account: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The RDS event categories on-call hears of. */
export const EVENT_CATEGORIES = ["failover", "failure", "low storage", "maintenance"];

/** Names the stack's key policy and the topic policy condition on: `precog-<env>-…`. */
export const onCallNames = (environment: string) => ({
  topic: `precog-${environment}-on-call`,
  alarmPrefix: `precog-${environment}-`,
  subscription: `precog-${environment}-events`,
});

/** The sources that may publish to the on-call topic (and use the key for it), as ARN patterns. */
export function onCallSources(environment: string, account: string, region: string) {
  const n = onCallNames(environment);
  return {
    alarms: `arn:aws:cloudwatch:${region}:${account}:alarm:${n.alarmPrefix}*`,
    subscription: `arn:aws:rds:${region}:${account}:es:${n.subscription}`,
  };
}

const GIB = 1024 ** 3;

export class ServerAlarms extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: ServerAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:server:ServerAlarms", name, {}, opts);
    const parent = this;
    const { alarms, environment, tags } = args;
    const names = onCallNames(environment);
    const sources = onCallSources(environment, args.account, args.region);

    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: names.topic, kmsMasterKeyId: args.kmsKeyArn, tags: { ...tags } },
      { parent },
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: topic.arn.apply((topicArn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "CloudWatchAlarmsOfThisStack",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { ArnLike: { "aws:SourceArn": sources.alarms } },
              },
              {
                Sid: "RdsEventsOfThisStack",
                Effect: "Allow",
                Principal: { Service: "events.rds.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { ArnEquals: { "aws:SourceArn": sources.subscription } },
              },
            ],
          }),
        ),
      },
      { parent },
    );

    const alarm = (
      key: string,
      metricName: string,
      comparisonOperator: string,
      threshold: number,
      description: string,
      identifier: string = args.identifier,
    ) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${key}`,
        {
          name: `${names.alarmPrefix}${key}`,
          alarmDescription: `Precog ${environment}: ${description}`,
          namespace: "AWS/RDS",
          metricName,
          dimensions: { DBInstanceIdentifier: identifier },
          statistic: "Average",
          period: alarms.periodSeconds,
          evaluationPeriods: alarms.evaluationPeriods,
          comparisonOperator,
          threshold,
          treatMissingData: "breaching",
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          tags: { ...tags },
        },
        { parent },
      );
    const connections = Math.floor((args.connectionBudget * alarms.connectionsPercent) / 100);
    alarm(
      "free-storage",
      "FreeStorageSpace",
      "LessThanThreshold",
      alarms.freeStorageGiB * GIB,
      `free storage below ${alarms.freeStorageGiB} GiB (precog:rds.alarms.freeStorageGiB)`,
    );
    alarm(
      "cpu",
      "CPUUtilization",
      "GreaterThanThreshold",
      alarms.cpuPercent,
      `CPU above ${alarms.cpuPercent}% (precog:rds.alarms.cpuPercent)`,
    );
    alarm(
      "connections",
      "DatabaseConnections",
      "GreaterThanThreshold",
      connections,
      `more than ${connections} connections, ${alarms.connectionsPercent}% of the login roles' budget of ${args.connectionBudget} (precog:rds.alarms.connectionsPercent)`,
    );
    for (const [i, replica] of (args.replicaIdentifiers ?? []).entries())
      alarm(
        `replica-${i + 1}-lag`,
        "ReplicaLag",
        "GreaterThanThreshold",
        alarms.replicaLagSeconds,
        `read replica ${replica} more than ${alarms.replicaLagSeconds} s behind (precog:rds.alarms.replicaLagSeconds)`,
        replica,
      );

    new aws.rds.EventSubscription(
      `${name}-events`,
      {
        name: names.subscription,
        snsTopic: topic.arn,
        sourceType: "db-instance",
        sourceIds: [args.identifier, ...(args.replicaIdentifiers ?? [])],
        eventCategories: [...EVENT_CATEGORIES],
        tags: { ...tags },
      },
      { parent },
    );
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
