/**
 * Who may read and decrypt the role secrets of an aws stack, decided as AWS would by the IAM
 * simulator (./iam-simulator.ts) on the policies the program produces under mocks: the stack's key
 * policy, the proxy role's policy, and the rotation function's role as AWS's application builds it
 * from the parameters the program passes (./sar-rotation-role.ts). Allowed and denied cases both, so
 * that widening or narrowing a policy fails a test.
 */
import { describe, expect, it } from "vitest";
import { SINGLE_USER_VERSION } from "../../infra/credentials/rotation";
import { accountOf, type Run, runStack } from "./harness";
import { decide, type PolicyDocument } from "./iam-simulator";
import { sarRotationRoleArn, sarRotationRolePolicies } from "./sar-rotation-role";

const REGION = "us-east-1";
const VIA_SECRETS_MANAGER = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` };
/** The roles with a secret: the migrator logs in by IAM on aws stacks and has none. */
const ROLES = ["app", "readonly"] as const;
const OTHER = { staging: "prod", prod: "staging" } as const;
/** Both aws stacks commit an RDS Proxy (staging rehearses prod's topology). */
const run = (stack: "staging" | "prod", config = {}) =>
  runStack(stack, { config, vars: { PRECOG_PROD_CONFIRMED: "yes" } });

/** What a stack's policies say about its secrets, key and functions, read from one mocked run. */
function stackFacts(r: Run, stack: string) {
  const p = `precog-${stack}`;
  const account = accountOf(stack);
  const fn = r.byName(`${p}-rotation-function`).inputs;
  const secretArn = (role: string) => `arn:aws:secretsmanager:${REGION}:${account}:secret:precog/${stack}/${role}`;
  return {
    account,
    keyArn: `arn:aws:kms:${REGION}:${account}:key/${p}-server-key`,
    keyPolicy: JSON.parse(r.byName(`${p}-server-key`).inputs.policy) as PolicyDocument,
    secretArn,
    /** The function each secret's rotation names: what Secrets Manager answers for AllowRotationLambdaArn. */
    rotationOf: (role: string) => String(r.byName(`${p}-secret-${role}-rotation`).inputs.rotationLambdaArn),
    rotationRole: sarRotationRoleArn(account, String(fn.name)),
    rotationPolicies: sarRotationRolePolicies(fn.parameters, REGION, account),
    proxyRole: `arn:aws:iam::${account}:role/${p}-proxy-role`,
    proxyPolicy: JSON.parse(r.byName(`${p}-proxy-read-secret`).inputs.policy) as PolicyDocument,
  };
}

describe.each(["staging", "prod"] as const)("%s: the role secrets' readers", (stack) => {
  it("the rotation function is AWS's application at the pinned version, given the stack's key", async () => {
    const r = await run(stack);
    const fn = r.byName(`precog-${stack}-rotation-function`).inputs;
    expect(fn.semanticVersion).toBe(SINGLE_USER_VERSION);
    expect(fn.parameters.kmsKeyArn).toBe(stackFacts(r, stack).keyArn);
  });

  it("the rotation role may read, write and en/decrypt exactly its stack's secrets", async () => {
    const r = await run(stack);
    const other = stackFacts(await run(OTHER[stack]), OTHER[stack]);
    const s = stackFacts(r, stack);
    const asRotation = (
      action: string,
      resource: string,
      context: Record<string, string>,
      resourcePolicy?: PolicyDocument,
    ) =>
      decide(
        { principal: s.rotationRole, action, resource, context },
        { identity: s.rotationPolicies, resource: resourcePolicy },
      );
    const verdicts: Record<string, string> = {};
    for (const role of ROLES) {
      const rotation = { "secretsmanager:resource/AllowRotationLambdaArn": s.rotationOf(role) };
      const encryption = VIA_SECRETS_MANAGER;
      for (const action of ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"])
        verdicts[`${action} ${role}`] = await asRotation(action, s.secretArn(role), rotation);
      for (const action of ["kms:Decrypt", "kms:GenerateDataKey"])
        verdicts[`${action} ${role}`] = await asRotation(action, s.keyArn, encryption, s.keyPolicy);
    }
    // Another stack's secret, rotated by its own function, and its key (in its own account).
    const theirs = { "secretsmanager:resource/AllowRotationLambdaArn": other.rotationOf("app") };
    verdicts["secretsmanager:GetSecretValue other"] = await asRotation(
      "secretsmanager:GetSecretValue",
      other.secretArn("app"),
      theirs,
    );
    verdicts["secretsmanager:PutSecretValue other"] = await asRotation(
      "secretsmanager:PutSecretValue",
      other.secretArn("app"),
      theirs,
    );
    const theirKey = VIA_SECRETS_MANAGER;
    verdicts["kms:Decrypt other"] = await asRotation("kms:Decrypt", other.keyArn, theirKey, other.keyPolicy);
    // A secret of this account whose rotation names another function (not one of this stack's).
    const sibling = `arn:aws:secretsmanager:${REGION}:${s.account}:secret:precog/sibling/app`;
    verdicts["secretsmanager:GetSecretValue sibling"] = await asRotation("secretsmanager:GetSecretValue", sibling, {
      "secretsmanager:resource/AllowRotationLambdaArn": `arn:aws:lambda:${REGION}:${s.account}:function:precog-sibling-rotation`,
    });
    expect(verdicts).toEqual({
      ...Object.fromEntries(
        ROLES.flatMap((role) =>
          ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "kms:Decrypt", "kms:GenerateDataKey"].map(
            (a) => [`${a} ${role}`, "Allowed"],
          ),
        ),
      ),
      "secretsmanager:GetSecretValue other": "ImplicitlyDenied",
      "secretsmanager:PutSecretValue other": "ImplicitlyDenied",
      "kms:Decrypt other": "ImplicitlyDenied",
      "secretsmanager:GetSecretValue sibling": "ImplicitlyDenied",
    });
  });

  it("the proxy role may read and decrypt exactly the app secret, through Secrets Manager in the region", async () => {
    const s = stackFacts(await run(stack), stack);
    const other = stackFacts(await run(OTHER[stack]), OTHER[stack]);
    const asProxy = (
      action: string,
      resource: string,
      context: Record<string, string> = {},
      resourcePolicy?: PolicyDocument,
    ) =>
      decide(
        { principal: s.proxyRole, action, resource, context },
        { identity: [s.proxyPolicy], resource: resourcePolicy },
      );
    // No policy conditions on kms:EncryptionContext:SecretARN, which the simulator cannot evaluate
    // (iam-simulator.ts fails a request that passes it): the secret is chosen by Secrets Manager's
    // own access, the key by kms:ViaService.
    expect({
      "read app": await asProxy("secretsmanager:GetSecretValue", s.secretArn("app")),
      "read readonly": await asProxy("secretsmanager:GetSecretValue", s.secretArn("readonly")),
      "read other stack's app": await asProxy("secretsmanager:GetSecretValue", other.secretArn("app")),
      "write app": await asProxy("secretsmanager:PutSecretValue", s.secretArn("app")),
      "decrypt via Secrets Manager": await asProxy("kms:Decrypt", s.keyArn, VIA_SECRETS_MANAGER, s.keyPolicy),
      "decrypt directly": await asProxy("kms:Decrypt", s.keyArn, {}, s.keyPolicy),
      "decrypt via another region": await asProxy(
        "kms:Decrypt",
        s.keyArn,
        { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
        s.keyPolicy,
      ),
      "decrypt via S3": await asProxy(
        "kms:Decrypt",
        s.keyArn,
        { "kms:ViaService": `s3.${REGION}.amazonaws.com` },
        s.keyPolicy,
      ),
      "encrypt via Secrets Manager": await asProxy("kms:GenerateDataKey", s.keyArn, VIA_SECRETS_MANAGER, s.keyPolicy),
      "decrypt with other stack's key": await asProxy(
        "kms:Decrypt",
        other.keyArn,
        VIA_SECRETS_MANAGER,
        other.keyPolicy,
      ),
    }).toEqual({
      "read app": "Allowed",
      "read readonly": "ImplicitlyDenied",
      "read other stack's app": "ImplicitlyDenied",
      "write app": "ImplicitlyDenied",
      "decrypt via Secrets Manager": "Allowed",
      "decrypt directly": "ImplicitlyDenied",
      "decrypt via another region": "ImplicitlyDenied",
      "decrypt via S3": "ImplicitlyDenied",
      "encrypt via Secrets Manager": "ImplicitlyDenied",
      "decrypt with other stack's key": "ImplicitlyDenied",
    });
  });
});
