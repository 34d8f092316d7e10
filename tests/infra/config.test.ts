/**
 * parseConfig, table-driven, with exact messages: every problem is reported at once, naming key
 * and stack, and secrets never appear in the message.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config/parse";
import { stackConfig } from "./harness";

/** The stack file's precog:* values without the namespace, as the program reads them. */
function raw(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackConfig(stack, overrides))) {
    if (k.startsWith("precog:")) out[k.slice("precog:".length)] = v;
  }
  return out;
}

describe("parseConfig on the committed stack files", () => {
  it.each([
    ["dev", { min: 2, max: 10 }, { app: 10, readonly: 5, owner: 5 }, "local"],
    ["test", { min: 2, max: 25 }, { app: 50, readonly: 5, owner: 5 }, "local"],
    ["staging", { min: 5, max: 25 }, { app: 50, readonly: 5, owner: 5 }, "aws"],
    ["prod", { min: 10, max: 50 }, { app: 200, readonly: 5, owner: 5 }, "aws"],
  ])("%s", (stack, pool, limits, kind) => {
    const cfg = parseConfig(stack, raw(stack));
    expect(cfg.pool).toEqual(pool);
    expect(cfg.connectionLimits).toEqual(limits);
    expect(cfg.server.kind).toBe(kind);
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.pool)).toBe(true);
  });
});

describe("parseConfig errors", () => {
  const cases: Array<[string, string, Record<string, unknown>, string[]]> = [
    ["pool min above max", "dev", { "precog:poolMin": 11 }, ["precog:poolMin: 11 is above precog:poolMax (10); lower poolMin or raise poolMax"]],
    ["negative number", "dev", { "precog:poolMin": -1 }, ["precog:poolMin: -1 is below the minimum of 0"]],
    ["not a number", "dev", { "precog:poolMax": "ten" }, ['precog:poolMax: "ten" is not a whole number']],
    ["missing required key", "dev", { "precog:appRole": undefined }, ["precog:appRole: missing: set it with `pulumi config set precog:appRole <value>`"]],
    ["unknown key", "dev", { "precog:poolSize": 5 }, ["precog:poolSize: unknown key: remove it, or check its spelling against Pulumi.yaml"]],
    [
      "budget exceeded",
      "test",
      { "precog:appInstances": 4 },
      [
        "precog:poolMax: the server's connection budget cannot hold it: poolMax 25 x appInstances 4 = 100, plus readonly 5, owner 5 and reserved 10, is 120 > precog:serverMaxConnections (100); lower poolMax or appInstances, or raise serverMaxConnections",
      ],
    ],
    [
      "missing secret",
      "dev",
      { "precog:adminPasswordFile": "" },
      ["precog:adminPassword: missing secret: set it with `pulumi config set --secret precog:adminPassword` or set precog:adminPasswordFile"],
    ],
    ["bad identifier", "dev", { "precog:database": "precog-dev" }, ['precog:database: "precog-dev" is not a plain PostgreSQL identifier (lower-case letters, digits and _, at most 63)']],
    ["bad boolean", "prod", { "precog:protect": "yes" }, ['precog:protect: "yes" is not true or false']],
    ["rds retention out of range", "staging", { "precog:backupRetentionDays": 40 }, ["precog:backupRetentionDays: 40 is outside 1..35"]],
    ["rds key unset (Pulumi.yaml marker)", "staging", { "precog:instanceClass": "" }, ["precog:instanceClass: missing: set it with `pulumi config set precog:instanceClass <value>`"]],
    [
      "rotation without function",
      "staging",
      { "precog:rotationLambdaArn": "" },
      ["precog:rotationLambdaArn: missing: precog:rotationDays is 30, so rotation needs the rotation function's ARN (or set rotationDays to 0)"],
    ],
    ["one subnet", "prod", { "precog:subnetIds": ["subnet-1"] }, ["precog:subnetIds: RDS needs subnets in at least two availability zones; list two or more"]],
    ["server kind", "dev", { "precog:server": "gcp" }, ['precog:server: "gcp" is not local or aws']],
  ];
  it.each(cases)("%s", (_label, stack, overrides, problems) => {
    expect(() => parseConfig(stack, raw(stack, overrides))).toThrow(
      `Invalid configuration for stack "${stack}" (Pulumi.${stack}.yaml), ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  });

  it("reports every problem at once", () => {
    let message = "";
    try {
      parseConfig("dev", raw("dev", { "precog:poolMin": 20, "precog:bogus": "x", "precog:port": 0 }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'Invalid configuration for stack "dev" (Pulumi.dev.yaml), 3 problem(s):\n' +
        "  - precog:bogus: unknown key: remove it, or check its spelling against Pulumi.yaml\n" +
        "  - precog:poolMin: 20 is above precog:poolMax (10); lower poolMin or raise poolMax\n" +
        "  - precog:port: 0 is outside 1..65535",
    );
  });

  it("never puts a secret's value in the message", () => {
    const secret = "s3cr3t-admin-password";
    expect(() => parseConfig("dev", raw("dev", { "precog:adminPassword": secret, "precog:poolMin": 99 }))).toThrow(
      /^(?![\s\S]*s3cr3t-admin-password)[\s\S]*precog:poolMin/,
    );
  });
});
