/**
 * parseConfig, table-driven, with exact messages: every problem is reported at once, naming key
 * path and stack, and secrets never appear in the message.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackConfig } from "../../infra/config/read";
import { parseConfig, serverKind } from "../../src/config/parse";
import type { ConfigOverrides } from "../../testbed/config-overrides";
import { raw } from "./config-problems";
import { ROOT, runStack, STACKS, stackConfig } from "./harness";

/** The stack file's precog:* values without the namespace, as the program reads them. */
describe("parseConfig on the committed stack files", () => {
  it.each([
    ["dev", { min: 2, max: 10, appInstances: 1 }, { app: 15, readonly: 5, migrator: 5 }, "local"],
    ["test", { min: 2, max: 25, appInstances: 2 }, { app: 55, readonly: 5, migrator: 5 }, "local"],
    ["staging", { min: 5, max: 25, appInstances: 2 }, { app: 55, readonly: 5, migrator: 5 }, "aws"],
    ["prod", { min: 10, max: 50, appInstances: 4 }, { app: 205, readonly: 5, migrator: 5 }, "aws"],
  ])("%s", (stack, pool, limits, kind) => {
    const cfg = parseConfig(stack, raw(stack));
    expect(cfg.pool).toEqual(pool);
    expect(cfg.connectionLimits).toEqual(limits);
    expect(serverKind(cfg)).toBe(kind);
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.pool) && Object.isFrozen(cfg.roles.app)).toBe(true);
  });

  it.each(STACKS)("%s: PrecogConfig holds every value of the stack file at the same path", (stack) => {
    const cfg: Record<string, unknown> = parseConfig(stack, raw(stack));
    const file = parse(readFileSync(resolve(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config;
    for (const [key, value] of Object.entries<unknown>(file)) {
      if (!key.startsWith("precog:")) continue;
      const name = key.slice("precog:".length);
      if (typeof value === "object") expect([name, cfg[name]]).toMatchObject([name, value]);
      else expect([name, cfg[name]]).toEqual([name, value]);
    }
  });

  it("a local stack without precog:local gets the local defaults; with precog:rds it has no local group", () => {
    expect(parseConfig("dev", raw("dev", { "precog:local": undefined })).local).toEqual({
      host: "127.0.0.1",
      port: 54329,
      adminUser: "postgres",
      adminPasswordFile: ".local/pg/admin-password",
      sslMode: "disable",
      pgaudit: false,
    });
    expect(parseConfig("staging", raw("staging")).local).toBeUndefined();
  });

  it("an admin password set as a secret stands in for the password file", () => {
    expect(
      parseConfig("dev", raw("dev", { "precog:local.adminPasswordFile": "" }, ["adminPassword"])).local
        ?.adminPasswordFile,
    ).toBe("");
  });
});

describe("readStackConfig", () => {
  it("hands over the plain values, and of the secrets only which are set", () => {
    pulumi.runtime.setAllConfig({ ...stackConfig("test"), "precog:adminPassword": "s3cr3t", "aws:region": "x" }, [
      "precog:adminPassword",
    ]);
    const read = readStackConfig();
    expect(read.secrets).toEqual(["adminPassword"]);
    expect(Object.keys(read.values).sort()).toEqual(
      [
        "connections",
        "database",
        "environment",
        "local",
        "migrations",
        "pool",
        "protect",
        "roles",
        "rds",
        "rotation",
      ].sort(),
    );
    expect(JSON.stringify(read)).not.toContain("s3cr3t");
    pulumi.runtime.setAllConfig(stackConfig("test"), []);
    expect(readStackConfig().secrets).toEqual([]);
  });
});

describe("parseConfig errors", () => {
  const cases: Array<[string, string, ConfigOverrides, string[]]> = [
    [
      "pool min above max",
      "dev",
      { "precog:pool.min": 11 },
      ["precog:pool.min: 11 is above precog:pool.max (10); lower pool.min or raise pool.max"],
    ],
    [
      "a log retention CloudWatch refuses",
      "staging",
      { "precog:rds.logRetentionDays": 10 },
      [
        "precog:rds.logRetentionDays: 10 is not a retention CloudWatch accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
      ],
    ],
    [
      "a database of another environment (issue 30, item 6)",
      "test",
      { "precog:database": "precog_prod" },
      [
        "precog:database: \"precog_prod\" names the prod environment, not test: every guard would take it for prod's; name test's own, e.g. precog_test",
      ],
    ],
    [
      "the dev database on the test stack",
      "test",
      { "precog:database": "precog_dev" },
      [
        "precog:database: \"precog_dev\" names the dev environment, not test: every guard would take it for dev's; name test's own, e.g. precog_test",
      ],
    ],
    [
      "a database every server has",
      "dev",
      { "precog:database": "postgres" },
      [
        'precog:database: "postgres" is a database the server keeps for itself (postgres, template0, template1, rdsadmin): name the environment\'s own, e.g. precog_dev',
      ],
    ],
    [
      "template1",
      "dev",
      { "precog:database": "template1" },
      [
        'precog:database: "template1" is a database the server keeps for itself (postgres, template0, template1, rdsadmin): name the environment\'s own, e.g. precog_dev',
      ],
    ],
    [
      "an app role with the owner's name",
      "dev",
      { "precog:roles.app.name": "precog_dev_owner" },
      [
        'precog:roles.app.name: "precog_dev_owner" is also the owner role\'s name (<database>_owner): each role needs its own; pick another',
      ],
    ],
    [
      "an app role named for another environment, or as the server's own",
      "test",
      { "precog:roles.app.name": "precog_prod_user" },
      [
        'precog:roles.app.name: "precog_prod_user" names the prod environment, not test: name test\'s own, e.g. precog_test_user',
      ],
    ],
    [
      "an app role the server keeps, the admin's login",
      "dev",
      { "precog:roles.app.name": "postgres" },
      [
        'precog:roles.app.name: the app role would be "postgres", a name the server keeps for itself (pg_*, rds*, postgres): pick another',
        'precog:roles.app.name: the app role would be "postgres", the admin\'s own login: pick another',
      ],
    ],
    ["negative number", "dev", { "precog:pool.min": -1 }, ["precog:pool.min: -1 is below the minimum of 0"]],
    ["not a number", "dev", { "precog:pool.max": "ten" }, ['precog:pool.max: "ten" is not a whole number']],
    [
      "missing required key",
      "dev",
      { "precog:database": undefined },
      ["precog:database: missing: set it with `pulumi config set precog:database <value>`"],
    ],
    [
      "missing required field",
      "dev",
      { "precog:roles.app.name": undefined },
      ["precog:roles.app.name: missing: set it with `pulumi config set --path 'precog:roles.app.name' <value>`"],
    ],
    [
      "missing required group",
      "dev",
      { "precog:pool": undefined },
      ["precog:pool: missing: set its fields min, max with `pulumi config set --path 'precog:pool.<field>' <value>`"],
    ],
    [
      "not a group",
      "dev",
      { "precog:pool": 5 },
      ["precog:pool: 5 is not an object: set its fields with `pulumi config set --path 'precog:pool.<field>' <value>`"],
    ],
    [
      "unknown key",
      "dev",
      { "precog:poolSize": 5 },
      ["precog:poolSize: unknown key: remove it, or check its spelling against Pulumi.yaml"],
    ],
    [
      "unknown field",
      "dev",
      { "precog:pool.size": 5 },
      ["precog:pool.size: unknown field: remove it, or check its spelling against Pulumi.yaml"],
    ],
    [
      "budget exceeded",
      "test",
      { "precog:pool.appInstances": 4 },
      [
        "precog:pool.max: the server's connection budget cannot hold it: pool.max 25 x pool.appInstances 4 + roles.app.connectionHeadroom 5 = 105, plus readonly 5, migrator 5 and reserved 10, is 125 > precog:connections.serverMax (100); lower pool.max, pool.appInstances or roles.app.connectionHeadroom, or raise connections.serverMax",
      ],
    ],
    [
      "missing secret",
      "dev",
      { "precog:local.adminPasswordFile": "" },
      [
        "precog:adminPassword: missing secret: set it with `pulumi config set --secret precog:adminPassword` or set precog:local.adminPasswordFile",
      ],
    ],
    [
      "bad identifier",
      "dev",
      { "precog:database": "precog-dev" },
      [
        'precog:database: "precog-dev" is not a plain PostgreSQL identifier (lower-case letters, digits and _, at most 63)',
      ],
    ],
    ["bad boolean", "prod", { "precog:protect": "yes" }, ['precog:protect: "yes" is not true or false']],
    [
      "rds retention out of range",
      "staging",
      { "precog:rds.backupRetentionDays": 40 },
      ["precog:rds.backupRetentionDays: 40 is outside 1..35"],
    ],
    [
      "rds field empty",
      "staging",
      { "precog:rds.instanceClass": "" },
      ["precog:rds.instanceClass: missing: set it with `pulumi config set --path 'precog:rds.instanceClass' <value>`"],
    ],
    [
      "version unquoted",
      "staging",
      { "precog:rds.engineVersion": 16 },
      ["precog:rds.engineVersion: 16 is not a string: quote it"],
    ],
    [
      "parameter group family of another major version",
      "staging",
      { "precog:rds.engineVersion": "17" },
      [
        'precog:rds.parameterGroupFamily: "postgres16" does not match precog:rds.engineVersion "17"; set it to "postgres17" (a major upgrade changes both together: docs/stacks.md, "A major version upgrade")',
      ],
    ],
    [
      "a proxy that could open more connections than the app role may",
      "prod",
      { "precog:rds.proxy.maxConnectionsPercent": 75 },
      [
        "precog:rds.proxy.maxConnectionsPercent: 75% of precog:connections.serverMax (400) is 300 connections, more than the app role's CONNECTION LIMIT (205) the proxy logs in under; lower it to at most 51",
      ],
    ],
    [
      "Performance Insights retention RDS refuses, and a monitoring interval",
      "staging",
      { "precog:rds.performanceInsightsRetentionDays": 30, "precog:rds.monitoringIntervalSeconds": 20 },
      [
        "precog:rds.performanceInsightsRetentionDays: 30 is not 0, 7, 731 or a multiple of 31",
        "precog:rds.monitoringIntervalSeconds: 20 is not one of 0, 1, 5, 10, 15, 30, 60",
      ],
    ],
    [
      "storage ceiling below storage",
      "prod",
      { "precog:rds.maxAllocatedStorage": 100 },
      [
        "precog:rds.maxAllocatedStorage: 100 is below precog:rds.allocatedStorage (200); raise it, or remove it to turn autoscaling off",
      ],
    ],
    [
      "headroom beyond the budget",
      "test",
      { "precog:roles.app.connectionHeadroom": 31 },
      [
        "precog:pool.max: the server's connection budget cannot hold it: pool.max 25 x pool.appInstances 2 + roles.app.connectionHeadroom 31 = 81, plus readonly 5, migrator 5 and reserved 10, is 101 > precog:connections.serverMax (100); lower pool.max, pool.appInstances or roles.app.connectionHeadroom, or raise connections.serverMax",
      ],
    ],
    [
      "one subnet",
      "prod",
      { "precog:rds.subnetIds": ["subnet-1"] },
      ["precog:rds.subnetIds: RDS needs subnets in at least two availability zones; list two or more"],
    ],
    [
      "another CA pinned with the committed bundle of rds-ca-rsa2048-g1",
      "prod",
      { "precog:rds.caCertIdentifier": "rds-ca-ecc384-g1" },
      [
        'precog:rds.caBundleFile: the committed bundle holds the rds-ca-rsa2048-g1 roots only, and precog:rds.caCertIdentifier is "rds-ca-ecc384-g1": ' +
          "set precog:rds.caBundleFile to a PEM file of that CA's roots (AWS publishes one per CA and a global bundle), or pin rds-ca-rsa2048-g1",
      ],
    ],
    [
      "no subnets",
      "prod",
      { "precog:rds.subnetIds": [] },
      ["precog:rds.subnetIds: missing: set it with `pulumi config set --path 'precog:rds.subnetIds[0]' <value>`"],
    ],
    [
      "two servers",
      "staging",
      { "precog:local.port": 5432 },
      [
        "precog:local: a stack has one server and precog:rds is set too: remove precog:local, or precog:rds for a local server",
      ],
    ],
    [
      "environment",
      "dev",
      { "precog:environment": "qa" },
      ['precog:environment: "qa" is not one of dev, test, staging, prod'],
    ],
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
      parseConfig("dev", raw("dev", { "precog:pool.min": 20, "precog:bogus": "x", "precog:local.port": 0 }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'Invalid configuration for stack "dev" (Pulumi.dev.yaml), 3 problem(s):\n' +
        "  - precog:bogus: unknown key: remove it, or check its spelling against Pulumi.yaml\n" +
        "  - precog:local.port: 0 is outside 1..65535\n" +
        "  - precog:pool.min: 20 is above precog:pool.max (10); lower pool.min or raise pool.max",
    );
  });

  it("never puts a secret's value in the message: the program reads it only as a secret", async () => {
    const secret = "s3cr3t-admin-password";
    await expect(
      runStack("dev", {
        config: { "precog:adminPassword": secret, "precog:pool.min": 99 },
        secretKeys: ["precog:adminPassword"],
      }),
    ).rejects.toThrow(/^(?![\s\S]*s3cr3t-admin-password)[\s\S]*precog:pool\.min: 99 is above/);
  });
});

describe("precog:rds.caBundleFile", () => {
  it("another CA with a bundle of its own is accepted", () => {
    const cfg = parseConfig(
      "prod",
      raw("prod", { "precog:rds.caCertIdentifier": "rds-ca-ecc384-g1", "precog:rds.caBundleFile": "ca/ecc384.pem" }),
    );
    expect(cfg.rds?.caBundleFile).toBe("ca/ecc384.pem");
  });

  it.each([
    [
      "a missing file",
      "/nonexistent/rds-ca.pem",
      "cannot be read. Restore the committed config/rds-ca/rds-ca-rsa2048-g1.pem, or point the key at a PEM file of your CA's roots (pulumi config set --stack staging --path 'precog:rds.caBundleFile' <file>).",
    ],
    [
      "a file without a certificate",
      "package.json",
      "holds no PEM certificate; it must be the CA's root certificates, each -----BEGIN CERTIFICATE-----.",
    ],
  ])("%s stops the program before anything is registered, naming the key and the fix", async (_label, file, end) => {
    const sink: any[] = [];
    await expect(runStack("staging", { config: { "precog:rds.caBundleFile": file }, sink })).rejects.toThrow(
      `Stack "staging": the RDS CA bundle ${resolve(ROOT, file)} (precog:rds.caBundleFile) ${end}`,
    );
    expect(sink.filter((x) => x.type.startsWith("aws:"))).toEqual([]);
  });

  it("the committed bundle is the rds-ca-rsa2048-g1 roots: self-signed CA certificates, valid, one per region", () => {
    const pems = readFileSync(resolve(ROOT, "config/rds-ca/rds-ca-rsa2048-g1.pem"), "utf8").match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    );
    const certs = (pems ?? []).map((p) => new X509Certificate(p));
    expect(certs.length).toBe(29);
    for (const c of certs) {
      expect(c.subject).toMatch(/CN=Amazon RDS [a-z0-9 -]+ Root CA RSA2048 G1$/im);
      expect([c.subject, c.ca, c.checkIssued(c), c.verify(c.publicKey)]).toEqual([c.subject, true, true, true]);
      expect(new Date(c.validTo).getTime()).toBeGreaterThan(Date.now());
    }
    expect(certs.map((c) => /CN=(.*)/.exec(c.subject)?.[1])).toContain("Amazon RDS us-east-1 Root CA RSA2048 G1");
  });
});

describe("docs/stacks.md's full examples", () => {
  const examples = [...readFileSync(resolve(ROOT, "docs/stacks.md"), "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) => parse(m[1]).config,
  );

  it("are one local stack and one aws stack, and both parse", () => {
    const project = parse(readFileSync(resolve(ROOT, "Pulumi.yaml"), "utf8")).config;
    const kinds = examples.map((config) => {
      const values: Record<string, string> = {};
      for (const [k, spec] of Object.entries<any>(project))
        if ("default" in spec) values[k] = JSON.stringify(spec.default);
      for (const [k, v] of Object.entries<unknown>(config)) {
        if (k.startsWith("precog:") && k !== "precog:adminPassword")
          values[k.slice("precog:".length)] = typeof v === "string" ? v : JSON.stringify(v);
      }
      const secrets = "precog:adminPassword" in config ? (["adminPassword"] as const) : [];
      return serverKind(parseConfig(config["precog:environment"], { values, secrets: [...secrets] }));
    });
    expect(kinds).toEqual(["local", "aws"]);
  });
});
