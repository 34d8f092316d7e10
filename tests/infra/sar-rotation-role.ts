/**
 * The identity policies AWS's SecretsManagerRDSPostgreSQLRotationSingleUser application gives its
 * function's role, at the version the program pins (SINGLE_USER_VERSION), built from the parameters
 * the program passes to the application. The role lives inside the application's CloudFormation
 * stack, so the program never sees these documents; they are AWS's template, written out here:
 *
 * - SAM's AWSSecretsManagerRotationPolicy: the four rotation calls on any secret of the account and
 *   region whose rotation names this function (`secretsmanager:resource/AllowRotationLambdaArn`),
 *   and GetRandomPassword;
 * - when `kmsKeyArn` is passed, kms:Decrypt and kms:GenerateDataKey on that key; without it,
 *   nothing for KMS (the defect of a stack that passes no key for its CMK-encrypted secrets).
 *
 * Re-read the application's template when SINGLE_USER_VERSION moves.
 */
import type { PolicyDocument } from "./iam-simulator";

export function sarRotationRolePolicies(
  parameters: Readonly<Record<string, string>>,
  region: string,
  account: string,
): PolicyDocument[] {
  const functionArn = `arn:aws:lambda:${region}:${account}:function:${parameters.functionName}`;
  const policies: PolicyDocument[] = [
    {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
          ],
          Resource: `arn:aws:secretsmanager:${region}:${account}:secret:*`,
          Condition: { StringEquals: { "secretsmanager:resource/AllowRotationLambdaArn": functionArn } },
        },
        { Effect: "Allow", Action: ["secretsmanager:GetRandomPassword"], Resource: "*" },
      ],
    },
  ];
  if (parameters.kmsKeyArn)
    policies.push({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: parameters.kmsKeyArn }],
    });
  return policies;
}

/** The rotation function's role, as the application's stack names it (the suffix is CloudFormation's). */
export function sarRotationRoleArn(account: string, stackName: string): string {
  return `arn:aws:iam::${account}:role/serverlessrepo-${stackName}-SecretsManagerRDSPostgreSQLRotationRole-1A2B3C4D`;
}
