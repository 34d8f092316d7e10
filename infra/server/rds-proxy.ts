/**
 * RdsProxy: optional RDS Proxy in front of the instance, for environments whose app fleet
 * outgrows direct connections. It authenticates the app role with that role's Secrets Manager
 * secret (so it follows rotation), requires TLS, and may use a configured share of max_connections.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface RdsProxyArgs {
  readonly environment: string;
  readonly instance: aws.rds.Instance;
  readonly appSecretArn: pulumi.Input<string>;
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
        policy: pulumi.output(args.appSecretArn).apply((arn) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [arn] }],
          }),
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
