/**
 * Statements of the stack's KMS key policies (./stack-key.ts, and the replicas' key in another
 * region, ./read-replicas.ts): the account administers the key, as AWS's default key policy does;
 * CloudWatch Logs may use it for the RDS log groups named.
 */

export function accountAdministers(account: string) {
  return {
    Sid: "AccountAdministers",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${account}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/** CloudWatch Logs in `region` may encrypt with the key the log groups `logGroupArns` match (ArnLike). */
export function cloudWatchLogsMay(sid: string, region: string, logGroupArns: string | string[]) {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: `logs.${region}.amazonaws.com` },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    Resource: "*",
    Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
  };
}
