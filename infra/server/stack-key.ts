/**
 * The stack's customer-managed KMS key, and the one AWS account an aws stack may deploy to.
 *
 * One key per stack encrypts the instance's storage, its master secret, the login roles' secrets,
 * Performance Insights and the CloudWatch log groups. It is chosen at creation because changing an
 * instance's storage key later replaces the instance. It outlives the stack (retainOnDelete): what
 * `pulumi destroy` leaves on purpose (automated backups, the final snapshot, the log groups) is
 * encrypted with it. Its policy lets the account administer it (as
 * AWS's default key policy does) and CloudWatch Logs use it for this instance's log groups only (and
 * its same-region read replicas', precog-<env>-replica-<n>, kept readable after they are removed).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { rotationAlarmName } from "../credentials/rotation";
import { accountAdministers, cloudWatchLogsMay } from "./key-policy";

export interface StackKeyArgs {
  readonly environment: string;
  /** The RDS instance identifier, whose log groups the key encrypts. */
  readonly identifier: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly protect: boolean;
  /** The on-call topic's publishers (./alarms.ts), when the stack has alarms: they encrypt with the key. */
  readonly onCall?: { readonly alarms: string; readonly subscription: string };
}

/**
 * The account of `aws:allowedAccountIds`, which each aws stack must set to exactly one account: the
 * AWS provider then refuses credentials of any other, so prod never deploys with staging's keys.
 */
export function deployAccount(stack = pulumi.getStack()): string {
  const ids = new pulumi.Config("aws").getObject<unknown>("allowedAccountIds");
  if (!Array.isArray(ids) || ids.length !== 1 || !/^\d{12}$/.test(String(ids[0]))) {
    throw new pulumi.RunError(
      `Stack "${stack}" (Pulumi.${stack}.yaml): aws:allowedAccountIds must list exactly one 12-digit AWS account, ` +
        `the one this stack deploys to; got ${JSON.stringify(ids ?? null)}. ` +
        `Set it with \`pulumi config set --stack ${stack} --path 'aws:allowedAccountIds[0]' <account id>\`.`,
    );
  }
  return String(ids[0]);
}

export function stackKey(name: string, args: StackKeyArgs, parent: pulumi.Resource): aws.kms.Key {
  const account = deployAccount();
  const region = aws.config.requireRegion();
  const policy = {
    Version: "2012-10-17",
    Statement: [
      accountAdministers(account),
      cloudWatchLogsMay("CloudWatchLogsOfThisInstance", region, logGroupArns(region, account, args)),
      {
        // The rotation alarm's topic is encrypted with this key: EventBridge publishes to it for its rule.
        Sid: "EventBridgePublishesTheRotationAlarm",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          ArnEquals: {
            "aws:SourceArn": `arn:aws:events:${region}:${account}:rule/${rotationAlarmName(args.environment)}`,
          },
        },
      },
      ...(args.onCall ? onCallStatements(args.onCall) : []),
    ],
  };
  const key = new aws.kms.Key(
    name,
    {
      description: `Precog ${args.environment}: RDS storage, secrets, Performance Insights and logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify(policy),
      tags: { ...args.tags },
    },
    // Kept in the account when the stack is destroyed: the automated backups and final snapshot it
    // leaves behind are encrypted with it, and a deleted key would make them unreadable.
    { parent, protect: args.protect, retainOnDelete: true },
  );
  new aws.kms.Alias(`${name}-alias`, { name: `alias/precog-${args.environment}`, targetKeyId: key.keyId }, { parent });
  return key;
}

/**
 * The log groups CloudWatch Logs may encrypt with the key: the instance's, and its same-region
 * replicas' (precog-<env>-replica-<n>), whether or not the stack has replicas now: the log groups of
 * removed replicas are kept (retainOnDelete) and stay readable only while the key grants this.
 */
function logGroupArns(region: string, account: string, args: StackKeyArgs): string[] {
  const groups = `arn:aws:logs:${region}:${account}:log-group:/aws/rds/instance/`;
  return [`${groups}${args.identifier}/*`, `${groups}${args.identifier}-replica-*`];
}

/** CloudWatch (this stack's alarms) and RDS events (its subscription) encrypt what they publish to the on-call topic. */
function onCallStatements(onCall: NonNullable<StackKeyArgs["onCall"]>) {
  const use = ["kms:Decrypt", "kms:GenerateDataKey*"];
  return [
    {
      Sid: "CloudWatchPublishesTheAlarms",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: use,
      Resource: "*",
      Condition: { ArnLike: { "aws:SourceArn": onCall.alarms } },
    },
    {
      Sid: "RdsPublishesTheEvents",
      Effect: "Allow",
      Principal: { Service: "events.rds.amazonaws.com" },
      Action: use,
      Resource: "*",
      Condition: { ArnEquals: { "aws:SourceArn": onCall.subscription } },
    },
  ];
}
