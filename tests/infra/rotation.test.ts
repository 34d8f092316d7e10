/**
 * Rotation on the aws stacks, under mocks, with the committed stack files: the function deployed
 * from the Serverless Application Repository in the database's network, the override for a team's
 * own function, the schedule from config, the alarm on a failed rotation, and what keeps a later
 * `pulumi up` (and refresh) from undoing a rotation.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { PASSWORD_EXCLUDED_CHARACTERS } from "../../infra/credentials/passwords";
import { ROTATION_OWNED } from "../../infra/credentials/role-secret";
import { SINGLE_USER_APPLICATION, SINGLE_USER_VERSION } from "../../infra/credentials/rotation";
import { stackFacts } from "../helpers/stack-facts";
import {
  accountOf,
  currentSecretValue,
  type Recorded,
  ROTATED_PASSWORD,
  runStack,
  SUBNET_VPC,
  secretInput,
} from "./harness";
import { decide } from "./iam-simulator";

const CONFIRMED = { PRECOG_PROD_CONFIRMED: "yes", USER: "ops-alice" };
const NET = {
  staging: { subnets: ["subnet-0a11staging0000001", "subnet-0a11staging0000002"], group: "sg-0a11staging0000001" },
  prod: {
    subnets: ["subnet-0b22prod00000001", "subnet-0b22prod00000002", "subnet-0b22prod00000003"],
    group: "sg-0b22prod00000001",
  },
} as const;
/** The roles with a secret and a rotation: the migrator logs in by IAM on aws stacks and has neither. */
const ROLES = ["app", "readonly"] as const;

const dependencyNames = (r: Recorded) =>
  ([] as unknown[]).concat(r.opts.dependsOn ?? []).map((d) => (d as { __name: string }).__name);

const run = (stack: "staging" | "prod", config = {}, secretValues?: (id: string) => Record<string, unknown>) =>
  runStack(stack, { config, vars: stack === "prod" ? CONFIRMED : {}, secretValues });

describe.each(["staging", "prod"] as const)("%s rotation", (stack) => {
  const p = `precog-${stack}`;
  const tags = { "precog:environment": stack };

  it("deploys AWS's single-user function in the database's subnets, with a security group the database admits", async () => {
    const r = await run(stack);
    expect(r.byName(`${p}-rotation-function`).inputs).toEqual({
      name: `precog-${stack}-rotation`,
      applicationId: SINGLE_USER_APPLICATION,
      semanticVersion: SINGLE_USER_VERSION,
      capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
      parameters: {
        functionName: `precog-${stack}-rotation`,
        endpoint: "https://secretsmanager.us-east-1.amazonaws.com",
        vpcSubnetIds: NET[stack].subnets.join(","),
        vpcSecurityGroupIds: `${p}-rotation-sg-id`,
        kmsKeyArn: `arn:aws:kms:us-east-1:${accountOf(stack)}:key/${p}-server-key`,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      },
      tags,
    });
    expect(r.byName(`${p}-rotation-sg`).inputs).toEqual({
      vpcId: SUBNET_VPC,
      description: `Precog ${stack}: the secret rotation function (reaches the database and Secrets Manager)`,
      egress: [
        { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "database, Secrets Manager" },
      ],
      tags,
    });
    expect(r.byName(`${p}-rotation-db-ingress-${NET[stack].group}`).inputs).toEqual({
      securityGroupId: NET[stack].group,
      referencedSecurityGroupId: `${p}-rotation-sg-id`,
      ipProtocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
      description: `Precog ${stack}: the secret rotation function`,
    });
  });

  it("schedules every role secret with that function, every precog:rotation.days, first rotation with the schedule", async () => {
    const r = await run(stack, { "precog:rotation.days": 7 });
    for (const role of ROLES) {
      const rotation = r.byName(`${p}-secret-${role}-rotation`);
      expect(rotation.inputs).toEqual({
        secretId: `${p}-secret-${role}-secret-id`,
        rotationLambdaArn: `arn:aws:lambda:us-east-1:${accountOf(stack)}:function:precog-${stack}-rotation`,
        rotationRules: { automaticallyAfterDays: 7 },
        // Not during this deploy: the migration reads the secret's password, which no rotation is changing.
        rotateImmediately: false,
      });
      // Even the test a new schedule runs logs in: the function and its way to the database first.
      expect(dependencyNames(rotation)).toEqual([
        `${p}-secret-${role}-initial`,
        `${p}-rotation-db-ingress-${NET[stack].group}`,
        `${p}-rotation-function`,
      ]);
    }
  });

  it("tells AWS's function to leave out every character but letters and digits, as the generated passwords do", async () => {
    const r = await run(stack);
    const excluded = r.byName(`${p}-rotation-function`).inputs.parameters.excludeCharacters as string;
    const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
    expect(printable.filter((c) => !excluded.includes(c)).join("")).toBe(
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    );
    for (const c of ["%", "#", "?", "&", "/", "@", ":"]) expect([c, excluded.includes(c)]).toEqual([c, true]);
  });

  it("precog:rotation.lambdaArn: a team's own function instead, and nothing deployed for it", async () => {
    const own = "arn:aws:lambda:us-east-1:333333333333:function:team-rotation";
    const r = await run(stack, { "precog:rotation.lambdaArn": own });
    for (const role of ROLES) {
      expect(r.byName(`${p}-secret-${role}-rotation`).inputs.rotationLambdaArn).toBe(own);
      expect(dependencyNames(r.byName(`${p}-secret-${role}-rotation`))).toEqual([`${p}-secret-${role}-initial`]);
    }
    expect(r.ofType("aws:serverlessrepository/cloudFormationStack:CloudFormationStack").map((x) => x.name)).toEqual([]);
    // No rotation security group (the proxy, on both stacks, has its own).
    expect(r.ofType("aws:ec2/securityGroup:SecurityGroup").map((x) => x.name)).toEqual([`${p}-proxy-sg`]);
    expect(r.ofType("aws:cloudwatch/eventRule:EventRule")).toHaveLength(1);
  });

  it("days 0: no function, no schedule, no alarm", async () => {
    const r = await run(stack, { "precog:rotation.days": 0 });
    // The on-call topic of the server's alarms (tests/infra/alarms.test.ts) is not rotation's.
    for (const t of [
      "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
      "aws:secretsmanager/secretRotation:SecretRotation",
      "aws:cloudwatch/eventRule:EventRule",
      "aws:sns/topic:Topic",
    ])
      expect([
        t,
        r
          .ofType(t)
          .map((x) => x.name)
          .filter((n) => !n.includes("-server-alarms")),
      ]).toEqual([t, []]);
  });

  it("a failed rotation of any of the stack's secrets reaches an SNS topic", async () => {
    const r = await run(stack);
    const arns = ROLES.map(
      (role) => `arn:aws:secretsmanager:us-east-1:${accountOf(stack)}:secret:precog/${stack}/${role}`,
    );
    const ruleInputs = r.byName(`${p}-rotation-alarm-rule`).inputs;
    expect(ruleInputs.name).toBe(`precog-${stack}-rotation-failed`);
    expect(JSON.parse(ruleInputs.eventPattern)).toEqual({
      source: ["aws.secretsmanager"],
      "detail-type": ["AWS Service Event via CloudTrail"],
      detail: { eventName: ["RotationFailed"], additionalEventData: { SecretId: arns } },
    });
    const topicArn = `arn:aws:sns:us-east-1:${accountOf(stack)}:precog-${stack}-rotation-failed`;
    const keyArn = `arn:aws:kms:us-east-1:${accountOf(stack)}:key/${p}-server-key`;
    expect(r.byName(`${p}-rotation-alarm-topic`).inputs).toEqual({
      name: `precog-${stack}-rotation-failed`,
      kmsMasterKeyId: keyArn,
      tags,
    });
    // EventBridge may use the stack's key to publish to the encrypted topic for this rule, and no other.
    const keyPolicy = JSON.parse(r.byName(`${p}-server-key`).inputs.policy);
    const publish = (action: string, rule: string) =>
      decide(
        { principal: "events.amazonaws.com", action, resource: keyArn, context: { "aws:SourceArn": rule } },
        { resource: keyPolicy },
      );
    const rule = (name: string) => `arn:aws:events:us-east-1:${accountOf(stack)}:rule/${name}`;
    expect({
      "generate for the alarm": await publish("kms:GenerateDataKey", rule(`precog-${stack}-rotation-failed`)),
      "decrypt for the alarm": await publish("kms:Decrypt", rule(`precog-${stack}-rotation-failed`)),
      "generate for another rule": await publish("kms:GenerateDataKey", rule("someone-elses-rule")),
      "encrypt for the alarm": await publish("kms:Encrypt", rule(`precog-${stack}-rotation-failed`)),
    }).toEqual({
      "generate for the alarm": "Allowed",
      "decrypt for the alarm": "Allowed",
      "generate for another rule": "ImplicitlyDenied",
      "encrypt for the alarm": "ImplicitlyDenied",
    });
    expect(r.byName(`${p}-rotation-alarm-target`).inputs).toEqual({
      rule: `precog-${stack}-rotation-failed`,
      arn: topicArn,
    });
    expect(JSON.parse(r.byName(`${p}-rotation-alarm-topic-policy`).inputs.policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          ArnEquals: {
            "aws:SourceArn": `arn:aws:events:us-east-1:${accountOf(stack)}:rule/precog-${stack}-rotation-failed`,
          },
        },
      },
    ]);
  });

  it("a later pulumi up leaves a rotated secret and password alone", async () => {
    // The secret holds a rotated password now (the harness answers ROTATED_PASSWORD for it).
    const r = await run(stack);
    for (const role of ROLES) {
      const version = r.byName(`${p}-secret-${role}-initial`);
      // Pulumi's version keeps a label of the stack's own, so Secrets Manager never deletes it
      // after rotations and a refresh finds it; its value and labels are never written back.
      expect(version.inputs.versionStages).toContain("PRECOG_PULUMI_CREATED");
      expect(version.opts.ignoreChanges).toEqual(["secretString", "versionStages"]);
      expect(r.byName(`${p}-db-role-${role}`).opts.ignoreChanges).toEqual(["password"]);
      // What Pulumi would write is the creation-time value, never the rotated one...
      expect(JSON.parse(secretInput(version.inputs.secretString)).password).not.toBe(ROTATED_PASSWORD);
    }
    // ...and the migrations never read a rotated password: the migrator logs in by IAM on aws,
    // and their inputs hold no password, so a rotation changes none.
    const [migrations] = r.ofType("precog-migrations:index:Migrations").map((x) => x.inputs);
    expect(migrations.login).toMatchObject({ kind: "aws-iam", region: "us-east-1" });
    expect(JSON.stringify(migrations)).not.toContain(ROTATED_PASSWORD);
  });

  it("a pool change rewrites the app secret's tags and leaves every secret's value alone", async () => {
    const t = stackFacts(stack);
    const before = await run(stack);
    const after = await run(stack, { "precog:pool.min": 1, "precog:pool.max": 60 });
    const tags = (r: typeof before) => r.byName(`${p}-secret-app-secret`).inputs.tags;
    expect(tags(before)).toEqual({
      "precog:environment": stack,
      "precog:role": "app",
      "precog:pool.min": String(t.poolMin),
      "precog:pool.max": String(t.poolMax),
    });
    expect(tags(after)).toEqual({
      "precog:environment": stack,
      "precog:role": "app",
      "precog:pool.min": "1",
      "precog:pool.max": "60",
    });
    for (const role of ROLES) {
      const version = (r: typeof before) => r.byName(`${p}-secret-${role}-initial`);
      // Byte for byte what Pulumi wrote at creation, whatever the pool config (and ignored after it anyway).
      expect(secretInput(version(after).inputs.secretString)).toBe(secretInput(version(before).inputs.secretString));
      expect(JSON.parse(secretInput(version(after).inputs.secretString))).not.toHaveProperty("poolMax");
      expect(version(after).opts.ignoreChanges).toEqual(ROTATION_OWNED);
      if (role !== "app")
        expect(after.byName(`${p}-secret-${role}-secret`).inputs).toEqual(
          before.byName(`${p}-secret-${role}-secret`).inputs,
        );
    }
  });

  it("warns, naming the runbook, when a secret's address is not the instance's", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const address = `${p}-server-instance.abc123.us-east-1.rds.amazonaws.com`;
      await run(stack);
      const addressWarnings = () =>
        warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("names the server"));
      expect(addressWarnings()).toEqual([]);
      await run(stack, {}, () => ({
        ...currentSecretValue(stack),
        host: "precog-old.abc123.us-east-1.rds.amazonaws.com",
      }));
      expect(addressWarnings().sort()).toEqual(
        ROLES.map(
          (role) =>
            `Secret precog/${stack}/${role} names the server precog-old.abc123.us-east-1.rds.amazonaws.com:5432, but the instance is at ${address}:5432: ` +
            "its rotation function logs in at the secret's address and will fail, and apps without DB_HOST connect there. " +
            `Write the new address into the secret: docs/operations.md, "When the instance's address changes".`,
        ).sort(),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
