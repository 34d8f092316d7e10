/**
 * The IAM side of the aws stacks' IAM database logins (infra/server/iam-login-policies.ts), decided
 * by the IAM simulator on the policies the program produces under mocks: the deploy role may sign
 * `rds-db:connect` as the deployer and the migrator of its stack's instance and as no one else; the
 * preview role reads no secret value of the stack (nor decrypts with its key, nor logs in), whatever
 * else it may be allowed, while what a preview needs (describing, its state key) stays allowed.
 */
import { describe, expect, it } from "vitest";
import { DEPLOYER_LOGIN, MASTER_LOGIN } from "../../src/env/roles";
import { stackFacts } from "../helpers/stack-facts";
import { accountOf, dbiResourceId, type Run, runStack } from "./harness";
import { decide, type PolicyDocument } from "./iam-simulator";

const REGION = "us-east-1";
const OTHER = { staging: "prod", prod: "staging" } as const;
const run = (stack: "staging" | "prod") => runStack(stack, { vars: { PRECOG_PROD_CONFIRMED: "yes" } });

function facts(r: Run, stack: "staging" | "prod") {
  const p = `precog-${stack}`;
  const account = accountOf(stack);
  const resourceId = dbiResourceId(`${p}-server-instance`);
  const database = stackFacts(stack).database;
  return {
    account,
    database,
    appRole: stackFacts(stack).appRole,
    dbUser: (user: string, id = resourceId, region = REGION) =>
      `arn:aws:rds-db:${region}:${account}:dbuser:${id}/${user}`,
    secretArn: (name: string) => `arn:aws:secretsmanager:${REGION}:${account}:secret:${name}`,
    keyArn: `arn:aws:kms:${REGION}:${account}:key/${p}-server-key`,
    keyPolicy: JSON.parse(r.byName(`${p}-server-key`).inputs.policy) as PolicyDocument,
    deployRole: `arn:aws:iam::${account}:role/${p}-deploy`,
    previewRole: `arn:aws:iam::${account}:role/${p}-preview`,
    deployPolicy: r.byName(`${p}-server-iam-deploy-db-login`).inputs,
    previewPolicy: r.byName(`${p}-server-iam-preview-guard`).inputs,
  };
}

describe.each(["staging", "prod"] as const)("%s: IAM database logins", (stack) => {
  it("the two policies are named for the roles that attach them", async () => {
    const s = facts(await run(stack), stack);
    expect([s.deployPolicy.name, s.previewPolicy.name]).toEqual([
      `precog-${stack}-deploy-db-login`,
      `precog-${stack}-preview-guard`,
    ]);
  });

  it("the deploy role may log in as the deployer and the migrator of this instance, and as no one else", async () => {
    const s = facts(await run(stack), stack);
    const other = facts(await run(OTHER[stack]), OTHER[stack]);
    const identity = [JSON.parse(s.deployPolicy.policy) as PolicyDocument];
    const connect = (resource: string) =>
      decide({ principal: s.deployRole, action: "rds-db:connect", resource }, { identity });
    const migrator = `${s.database}_migrator`;
    expect({
      deployer: await connect(s.dbUser(DEPLOYER_LOGIN)),
      migrator: await connect(s.dbUser(migrator)),
      app: await connect(s.dbUser(s.appRole)),
      readonly: await connect(s.dbUser(`${s.database}_readonly`)),
      master: await connect(s.dbUser(MASTER_LOGIN)),
      "deployer of another instance": await connect(s.dbUser(DEPLOYER_LOGIN, "db-ANOTHERINSTANCE000000000")),
      "migrator in another region": await connect(s.dbUser(migrator, undefined, "eu-west-1")),
      "the other stack's deployer": await connect(other.dbUser(DEPLOYER_LOGIN)),
    }).toEqual({
      deployer: "Allowed",
      migrator: "Allowed",
      app: "ImplicitlyDenied",
      readonly: "ImplicitlyDenied",
      master: "ImplicitlyDenied",
      "deployer of another instance": "ImplicitlyDenied",
      "migrator in another region": "ImplicitlyDenied",
      "the other stack's deployer": "ImplicitlyDenied",
    });
  });

  it("the preview role reads no secret value of either aws stack, whatever else it is allowed; describing and its state key stay allowed", async () => {
    const s = facts(await run(stack), stack);
    const other = facts(await run(OTHER[stack]), OTHER[stack]);
    // Whatever else the preview role is given, at its widest: the guard must still hold.
    const wide: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["secretsmanager:*", "kms:*", "rds-db:connect", "rds:Describe*"], Resource: "*" },
      ],
    };
    const identity = [wide, JSON.parse(s.previewPolicy.policy) as PolicyDocument];
    const ask = (
      action: string,
      resource: string,
      context: Record<string, string> = {},
      resourcePolicy?: PolicyDocument,
    ) => decide({ principal: s.previewRole, action, resource, context }, { identity, resource: resourcePolicy });
    const viaSecretsManager = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` };
    // The state's key (docs/ci.md, "Each aws stack's own secrets provider"): its policy lets the preview role decrypt.
    const stateKey = `arn:aws:kms:${REGION}:${s.account}:key/precog-${stack}-state-key`;
    const stateKeyPolicy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: s.previewRole }, Action: "kms:Decrypt", Resource: "*" }],
    };
    expect({
      "app secret": await ask("secretsmanager:GetSecretValue", s.secretArn(`precog/${stack}/app`)),
      "readonly secret": await ask("secretsmanager:GetSecretValue", s.secretArn(`precog/${stack}/readonly`)),
      "master secret": await ask("secretsmanager:GetSecretValue", s.secretArn("rds!db-0000-master")),
      "the other stack's app secret": await ask(
        "secretsmanager:GetSecretValue",
        other.secretArn(`precog/${OTHER[stack]}/app`),
      ),
      "decrypt with the stack key": await ask("kms:Decrypt", s.keyArn, viaSecretsManager, s.keyPolicy),
      "log in as the migrator": await ask("rds-db:connect", s.dbUser(`${s.database}_migrator`)),
      "log in as the deployer": await ask("rds-db:connect", s.dbUser(DEPLOYER_LOGIN)),
      "describe the app secret": await ask("secretsmanager:DescribeSecret", s.secretArn(`precog/${stack}/app`)),
      "decrypt the state": await ask("kms:Decrypt", stateKey, {}, stateKeyPolicy),
    }).toEqual({
      "app secret": "ExplicitlyDenied",
      "readonly secret": "ExplicitlyDenied",
      "master secret": "ExplicitlyDenied",
      "the other stack's app secret": "ExplicitlyDenied",
      "decrypt with the stack key": "ExplicitlyDenied",
      "log in as the migrator": "ExplicitlyDenied",
      "log in as the deployer": "ExplicitlyDenied",
      "describe the app secret": "Allowed",
      "decrypt the state": "Allowed",
    });
  });
});
