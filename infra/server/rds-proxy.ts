/**
 * RdsProxy: optional RDS Proxy in front of the instance, for environments whose app fleet
 * outgrows direct connections. It authenticates the app role with that role's Secrets Manager
 * secret (so it follows rotation), requires TLS, and may use a configured share of max_connections.
 *
 * Its IAM role reads that secret and nothing else, and decrypts it with the stack's key only through
 * Secrets Manager in the stack's region (kms:ViaService): the secret is encrypted with the stack's
 * customer-managed key, and without kms:Decrypt the proxy cannot read it and refuses every login.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface RdsProxyArgs {
  readonly environment: string;
  readonly instance: aws.rds.Instance;
  readonly appSecretArn: pulumi.Input<string>;
  /** The stack's KMS key, which encrypts the app secret. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly maxConnectionsPercent: number;
}

export class RdsProxy extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: RdsProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:server:RdsProxy", name, {}, opts);
    const parent = this;

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent },
    );
    new aws.iam.RolePolicy(
      `${name}-read-secret`,
      {
        role: role.id,
        policy: pulumi
          .all([args.appSecretArn, args.kmsKeyArn])
          .apply(([secretArn, keyArn]) =>
            JSON.stringify(proxySecretPolicy(secretArn, keyArn, aws.config.requireRegion())),
          ),
      },
      { parent },
    );

    const proxy = new aws.rds.Proxy(
      `${name}-proxy`,
      {
        name: `precog-${args.environment}`,
        engineFamily: "POSTGRESQL",
        requireTls: true,
        roleArn: role.arn,
        vpcSubnetIds: [...args.subnetIds],
        vpcSecurityGroupIds: [...args.securityGroupIds],
        auths: [{ authScheme: "SECRETS", secretArn: args.appSecretArn, iamAuth: "DISABLED" }],
      },
      { parent },
    );
    const targetGroup = new aws.rds.ProxyDefaultTargetGroup(
      `${name}-targets`,
      {
        dbProxyName: proxy.name,
        connectionPoolConfig: { maxConnectionsPercent: args.maxConnectionsPercent },
      },
      { parent },
    );
    new aws.rds.ProxyTarget(
      `${name}-target`,
      {
        dbProxyName: proxy.name,
        targetGroupName: targetGroup.name,
        dbInstanceIdentifier: args.instance.identifier,
      },
      { parent },
    );

    this.endpoint = proxy.endpoint;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}

/** What the proxy's role may do: read the app secret, and decrypt with the stack key through Secrets Manager only. */
export function proxySecretPolicy(secretArn: string, keyArn: string, region: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadTheAppSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secretArn] },
      {
        Sid: "DecryptItThroughSecretsManager",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [keyArn],
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
      },
    ],
  };
}
