/**
 * The on-call alarms of an aws stack: exact alarms, thresholds from precog:rds.alarms (the
 * connections one against the login roles' budget), the RDS event subscription, the topic encrypted
 * with the stack's key, who may publish to it and use the key for it; nothing of it when off.
 */
import { describe, expect, it } from "vitest";
import { accountOf, type Run, runStack } from "./harness";
import { decide } from "./iam-simulator";

const PROD = { PRECOG_PROD_CONFIRMED: "yes" };
const GIB = 1024 ** 3;

function alarmsOf(r: Run) {
  return r
    .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
    .map((a) => [a.name, a.inputs.metricName, a.inputs.comparisonOperator, a.inputs.threshold]);
}

describe("alarms and events", () => {
  it.each([
    ["staging", 200 - 10],
    ["prod", 400 - 10],
  ] as const)("%s: three alarms with the default thresholds, into the on-call topic", async (stack, budget) => {
    const r = await runStack(stack, { vars: PROD });
    const p = `precog-${stack}-server-alarms`;
    const account = accountOf(stack);
    const topicArn = `arn:aws:sns:us-east-1:${account}:precog-${stack}-on-call`;
    expect(alarmsOf(r)).toEqual([
      [`${p}-free-storage`, "FreeStorageSpace", "LessThanThreshold", 10 * GIB],
      [`${p}-cpu`, "CPUUtilization", "GreaterThanThreshold", 80],
      [`${p}-connections`, "DatabaseConnections", "GreaterThanThreshold", Math.floor(budget * 0.9)],
    ]);
    expect(r.byName(`${p}-cpu`).inputs).toEqual({
      name: `precog-${stack}-cpu`,
      alarmDescription: `Precog ${stack}: CPU above 80% (precog:rds.alarms.cpuPercent)`,
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: { DBInstanceIdentifier: `precog-${stack}` },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 80,
      treatMissingData: "breaching",
      alarmActions: [topicArn],
      okActions: [topicArn],
      tags: { "precog:environment": stack, "precog:managed-by": "pulumi" },
    });
    expect(r.byName(`${p}-topic`).inputs).toEqual({
      name: `precog-${stack}-on-call`,
      kmsMasterKeyId: `arn:aws:kms:us-east-1:${account}:key/precog-${stack}-server-key`,
      tags: { "precog:environment": stack, "precog:managed-by": "pulumi" },
    });
    expect(r.byName(`${p}-events`).inputs).toEqual({
      name: `precog-${stack}-events`,
      snsTopic: topicArn,
      sourceType: "db-instance",
      sourceIds: [`precog-${stack}`],
      eventCategories: ["failover", "failure", "low storage", "maintenance"],
      tags: { "precog:environment": stack, "precog:managed-by": "pulumi" },
    });
    const topicPolicy = JSON.parse(r.byName(`${p}-topic-policy`).inputs.policy).Statement;
    expect(topicPolicy.map((s: any) => [s.Principal.Service, s.Action, s.Resource, s.Condition])).toEqual([
      [
        "cloudwatch.amazonaws.com",
        "sns:Publish",
        topicArn,
        { ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${account}:alarm:precog-${stack}-*` } },
      ],
      [
        "events.rds.amazonaws.com",
        "sns:Publish",
        topicArn,
        { ArnEquals: { "aws:SourceArn": `arn:aws:rds:us-east-1:${account}:es:precog-${stack}-events` } },
      ],
    ]);
    const key = JSON.parse(r.byName(`precog-${stack}-server-key`).inputs.policy).Statement;
    expect(key.slice(3)).toEqual([
      {
        Sid: "CloudWatchPublishesTheAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${account}:alarm:precog-${stack}-*` } },
      },
      {
        Sid: "RdsPublishesTheEvents",
        Effect: "Allow",
        Principal: { Service: "events.rds.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:rds:us-east-1:${account}:es:precog-${stack}-events` } },
      },
    ]);
  });

  it("thresholds and periods are config", async () => {
    const r = await runStack("staging", {
      config: {
        "precog:rds.alarms": {
          freeStorageGiB: 25,
          cpuPercent: 70,
          connectionsPercent: 50,
          periodSeconds: 60,
          evaluationPeriods: 5,
        },
      },
    });
    expect(alarmsOf(r).map((a) => a[3])).toEqual([25 * GIB, 70, 95]);
    for (const a of r.ofType("aws:cloudwatch/metricAlarm:MetricAlarm"))
      expect([a.inputs.period, a.inputs.evaluationPeriods]).toEqual([60, 5]);
  });

  it("off: no alarm, subscription, topic or key statement for them", async () => {
    const r = await runStack("staging", { config: { "precog:rds.alarms.enabled": false } });
    expect(r.resources.filter((x) => x.name.includes("-server-alarms"))).toEqual([]);
    expect(r.ofType("aws:rds/eventSubscription:EventSubscription")).toEqual([]);
    const key = JSON.parse(r.byName("precog-staging-server-key").inputs.policy).Statement;
    expect(key.map((s: any) => s.Sid)).toEqual([
      "AccountAdministers",
      "CloudWatchLogsOfThisInstance",
      "EventBridgePublishesTheRotationAlarm",
    ]);
  });
});

describe("who may publish to the on-call topic, as AWS decides it", () => {
  it("CloudWatch for the stack's alarms and RDS for its subscription: the key and the topic; nothing else", async () => {
    const r = await runStack("prod", { vars: PROD });
    const account = accountOf("prod");
    const keyArn = `arn:aws:kms:us-east-1:${account}:key/precog-prod-server-key`;
    const topicArn = `arn:aws:sns:us-east-1:${account}:precog-prod-on-call`;
    const keyPolicy = JSON.parse(r.byName("precog-prod-server-key").inputs.policy);
    const topicPolicy = JSON.parse(r.byName("precog-prod-server-alarms-topic-policy").inputs.policy);
    const alarm = (n: string) => `arn:aws:cloudwatch:us-east-1:${account}:alarm:${n}`;
    const subscription = (n: string) => `arn:aws:rds:us-east-1:${account}:es:${n}`;
    const ask = (principal: string, action: string, source: string) =>
      decide(
        {
          principal,
          action,
          resource: action.startsWith("kms:") ? keyArn : topicArn,
          context: { "aws:SourceArn": source },
        },
        { resource: action.startsWith("kms:") ? keyPolicy : topicPolicy },
      );
    const cw = "cloudwatch.amazonaws.com";
    const rds = "events.rds.amazonaws.com";
    expect({
      "alarm: data key": await ask(cw, "kms:GenerateDataKey", alarm("precog-prod-cpu")),
      "alarm: publish": await ask(cw, "sns:Publish", alarm("precog-prod-cpu")),
      "staging's alarm: data key": await ask(cw, "kms:GenerateDataKey", alarm("precog-staging-cpu")),
      "staging's alarm: publish": await ask(cw, "sns:Publish", alarm("precog-staging-cpu")),
      "events: data key": await ask(rds, "kms:GenerateDataKey", subscription("precog-prod-events")),
      "events: publish": await ask(rds, "sns:Publish", subscription("precog-prod-events")),
      "another subscription: publish": await ask(rds, "sns:Publish", subscription("someone-elses")),
      "alarm: encrypt": await ask(cw, "kms:Encrypt", alarm("precog-prod-cpu")),
    }).toEqual({
      "alarm: data key": "Allowed",
      "alarm: publish": "Allowed",
      "staging's alarm: data key": "ImplicitlyDenied",
      "staging's alarm: publish": "ImplicitlyDenied",
      "events: data key": "Allowed",
      "events: publish": "Allowed",
      "another subscription: publish": "ImplicitlyDenied",
      "alarm: encrypt": "ImplicitlyDenied",
    });
  });
});

describe("precog:rds.alarms, checked", () => {
  it("a period that is not whole minutes is refused, naming the key", async () => {
    await expect(runStack("staging", { config: { "precog:rds.alarms.periodSeconds": 90 } })).rejects.toThrow(
      "precog:rds.alarms.periodSeconds: 90 is not a multiple of 60; CloudWatch takes whole minutes",
    );
  });
});
