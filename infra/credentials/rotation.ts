/**
 * RotationFunction: what rotates the role secrets of an aws stack, and tells someone when it fails.
 *
 * - AWS's SecretsManagerRDSPostgreSQLRotationSingleUser, deployed from the Serverless Application
 *   Repository as a CloudFormation stack, in the database's subnets with a security group of its
 *   own that the database's security groups admit on the instance's port. Single-user for every
 *   role (docs/operations.md, "Why single-user"). `precog:rotation.lambdaArn` replaces it with a
 *   team's own function: then nothing here but the alarm is created.
 * - An EventBridge rule on Secrets Manager's RotationFailed event for the stack's secrets, sent to
 *   an SNS topic (`precog-<env>-rotation-failed`) the on-call address subscribes to, encrypted
 *   with the stack's key (whose policy lets EventBridge use it for this rule only: ../server/stack-key.ts).
 *
 * The first rotation does not run when the schedule is created (`rotateImmediately: false`): Secrets
 * Manager only runs the function's testSecret step then, and the first real rotation comes with the
 * schedule. So the deploy that creates the schedule never races a rotation: the migration reads the
 * password the secret holds, and no rotation changes it under the deploy. Every schedule waits for
 * the function and for the ingress rules that let it reach the database (`ready`), since even the
 * test logs in.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PASSWORD_EXCLUDED_CHARACTERS } from "./passwords";

/** AWS's single-user RDS PostgreSQL rotation function in the Serverless Application Repository. */
export const SINGLE_USER_APPLICATION =
  "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser";
/**
 * The application's version, pinned: without one the stack deploys whatever is newest at each
 * replacement, and its function's code and IAM policy change under a running stack unreviewed. The
 * version the AWS CDK pins for the aws partition; move it on purpose, after reading its template.
 */
export const SINGLE_USER_VERSION = "1.1.671";

export interface RotationFunctionArgs {
  readonly environment: string;
  /** A function of the team's own; undefined: deploy AWS's. */
  readonly lambdaArn?: string;
  /** The database's subnets and security groups (precog:rds). */
  readonly subnetIds: readonly string[];
  readonly databaseSecurityGroupIds: readonly string[];
  readonly port: pulumi.Input<number>;
  /**
   * The stack's KMS key, which encrypts the role secrets. The application's template grants its
   * function kms:Decrypt and kms:GenerateDataKey on this key only when it is passed: without it
   * the function cannot read or write a secret encrypted with a customer-managed key.
   */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** The name of the rule (and topic) that reports a failed rotation of the stack's secrets. */
export function rotationAlarmName(environment: string): string {
  return `precog-${environment}-rotation-failed`;
}

export class RotationFunction extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  /** What a rotation schedule must wait for: the function and the ingress rules that let it reach the database. */
  readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: RotationFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:credentials:RotationFunction", name, {}, opts);
    const parent = this;
    const tags = { "precog:environment": args.environment };

    const ready: pulumi.Resource[] = [];
    const deployFunction = (): pulumi.Output<string> => {
      const ingress: pulumi.Resource[] = [];
      const subnet = aws.ec2.getSubnetOutput({ id: args.subnetIds[0] }, { parent });
      const group = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
          vpcId: subnet.vpcId,
          description: `Precog ${args.environment}: the secret rotation function (reaches the database and Secrets Manager)`,
          egress: [
            {
              protocol: "-1",
              fromPort: 0,
              toPort: 0,
              cidrBlocks: ["0.0.0.0/0"],
              description: "database, Secrets Manager",
            },
          ],
          tags,
        },
        { parent },
      );
      for (const id of args.databaseSecurityGroupIds)
        ingress.push(
          new aws.vpc.SecurityGroupIngressRule(
            `${name}-db-ingress-${id}`,
            {
              securityGroupId: id,
              referencedSecurityGroupId: group.id,
              ipProtocol: "tcp",
              fromPort: args.port,
              toPort: args.port,
              description: `Precog ${args.environment}: the secret rotation function`,
            },
            { parent },
          ),
        );
      const region = aws.config.requireRegion();
      const stack = new aws.serverlessrepository.CloudFormationStack(
        `${name}-function`,
        {
          name: `precog-${args.environment}-rotation`,
          applicationId: SINGLE_USER_APPLICATION,
          semanticVersion: SINGLE_USER_VERSION,
          capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
          parameters: {
            functionName: `precog-${args.environment}-rotation`,
            endpoint: `https://secretsmanager.${region}.amazonaws.com`,
            vpcSubnetIds: args.subnetIds.join(","),
            vpcSecurityGroupIds: group.id,
            kmsKeyArn: args.kmsKeyArn,
            excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
          },
          tags,
        },
        { parent },
      );
      ready.push(...ingress, stack);
      return stack.outputs.apply((o) => o.RotationLambdaARN);
    };

    this.arn = args.lambdaArn ? pulumi.output(args.lambdaArn) : deployFunction();
    this.ready = ready;
    this.registerOutputs({ arn: this.arn });
  }
}

/** The rule and topic that report a failed rotation of `secretArns`. */
export class RotationAlarm extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      readonly environment: string;
      readonly secretArns: pulumi.Input<string>[];
      /** The stack's KMS key, which encrypts the topic. */
      readonly kmsKeyArn: pulumi.Input<string>;
    },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("precog:credentials:RotationAlarm", name, {}, opts);
    const parent = this;
    const tags = { "precog:environment": args.environment };
    const topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: rotationAlarmName(args.environment), kmsMasterKeyId: args.kmsKeyArn, tags },
      { parent },
    );
    const rule = new aws.cloudwatch.EventRule(
      `${name}-rule`,
      {
        name: rotationAlarmName(args.environment),
        description: `Precog ${args.environment}: a Secrets Manager rotation of a role secret failed`,
        eventPattern: pulumi.all(args.secretArns).apply((arns) =>
          JSON.stringify({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS Service Event via CloudTrail"],
            detail: { eventName: ["RotationFailed"], additionalEventData: { SecretId: arns } },
          }),
        ),
        tags,
      },
      { parent },
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: pulumi.all([topic.arn, rule.arn]).apply(([topicArn, ruleArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
              },
            ],
          }),
        ),
      },
      { parent },
    );
    new aws.cloudwatch.EventTarget(`${name}-target`, { rule: rule.name, arn: topic.arn }, { parent });
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
