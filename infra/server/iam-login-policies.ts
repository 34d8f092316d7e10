/**
 * The two IAM policies an aws stack makes for the roles that deploy and preview it (docs/ci.md,
 * "The roles"), which are created outside the stack and attach these once:
 *
 *   precog-<env>-deploy-db-login   for the deploy role: `rds-db:connect` as the deployer (the
 *                                  stack's postgresql provider) and as the migrator (the migration
 *                                  plugin), on this instance only (its DbiResourceId), nothing wider
 *   precog-<env>-preview-guard     for the preview role: explicit denials, whatever else it is
 *                                  allowed, of every secret value of the account in the region, of
 *                                  decrypting with the stack's key, and of any database login
 *
 * tests/infra/iam-logins.test.ts decides them with the IAM simulator.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface IamLoginPoliciesArgs {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** The instance's DbiResourceId (`db-…`), which its dbuser ARNs name. */
  readonly resourceId: pulumi.Input<string>;
  /** The logins the deploy role may sign tokens for: the deployer and the migrator. */
  readonly users: readonly string[];
  /** The stack's key, which the role secrets are encrypted with. */
  readonly keyArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/** The ARN `rds-db:connect` names for `user` on the instance `resourceId`. */
export function dbUserArn(region: string, account: string, resourceId: string, user: string): string {
  return `arn:aws:rds-db:${region}:${account}:dbuser:${resourceId}/${user}`;
}

export function deployDbLoginPolicyName(environment: string): string {
  return `precog-${environment}-deploy-db-login`;
}

export function previewGuardPolicyName(environment: string): string {
  return `precog-${environment}-preview-guard`;
}

export function iamLoginPolicies(name: string, args: IamLoginPoliciesArgs, parent: pulumi.Resource) {
  const { account, region } = args;
  const deploy = new aws.iam.Policy(
    `${name}-deploy-db-login`,
    {
      name: deployDbLoginPolicyName(args.environment),
      description: `Precog ${args.environment}: log in to the database as ${args.users.join(" and ")} by IAM (attach to the deploy role)`,
      policy: pulumi.output(args.resourceId).apply((resourceId) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DeployerAndMigratorLogins",
              Effect: "Allow",
              Action: "rds-db:connect",
              Resource: args.users.map((u) => dbUserArn(region, account, resourceId, u)),
            },
          ],
        }),
      ),
      tags: { ...args.tags },
    },
    { parent },
  );
  const preview = new aws.iam.Policy(
    `${name}-preview-guard`,
    {
      name: previewGuardPolicyName(args.environment),
      description: `Precog ${args.environment}: a preview reads no secret value and logs in nowhere (attach to the preview role)`,
      policy: pulumi.output(args.keyArn).apply((keyArn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "NoSecretValue",
              Effect: "Deny",
              Action: ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"],
              Resource: "*",
            },
            { Sid: "NoDecryptWithTheStackKey", Effect: "Deny", Action: "kms:Decrypt", Resource: keyArn },
            {
              Sid: "NoDatabaseLogin",
              Effect: "Deny",
              Action: "rds-db:connect",
              Resource: `arn:aws:rds-db:*:${account}:dbuser:*/*`,
            },
          ],
        }),
      ),
      tags: { ...args.tags },
    },
    { parent },
  );
  return { deploy, preview };
}
