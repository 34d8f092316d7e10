/**
 * RdsProxy: optional RDS Proxy in front of the instance, for environments whose app fleet
 * outgrows direct connections. It authenticates the app role with that role's Secrets Manager
 * secret (so it follows rotation), requires TLS, and may use a configured share of max_connections.
 *
 * Its IAM role reads that secret and nothing else, and decrypts it with the stack's key only through
 * Secrets Manager in the stack's region (kms:ViaService): the secret is encrypted with the stack's
 * customer-managed key, and without kms:Decrypt the proxy cannot read it and refuses every login.
 *
 * It has a security group of its own, not the database's: it admits the app's security groups
 * (precog:rds.proxy.clientSecurityGroupIds) on the proxy's port and reaches only the database's
 * groups, on the instance's port, which admit it in turn. Sharing the database's groups would let
 * whatever reaches the database reach the proxy, and the proxy whatever the database reaches.
 *
 * Its certificate is not the instance's: RDS Proxy presents one from AWS Certificate Manager, which
 * chains to Amazon Trust Services' roots (in the system's trust store), not to the RDS CA bundle
 * (docs/aws.md, "The proxy's certificate").
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
  /** The instance's security groups: the proxy reaches them, and they admit the proxy. */
  readonly databaseSecurityGroupIds: readonly string[];
  /** The app's security groups, which the proxy admits. */
  readonly clientSecurityGroupIds: readonly string[];
  /** The instance's port. */
  readonly port: pulumi.Input<number>;
  readonly maxConnectionsPercent: number;
}

/** Longer than the provider's 30 minutes: a proxy registered with a busy Multi-AZ instance. */
export const PROXY_TIMEOUTS = { create: "1h", update: "1h", delete: "1h" };

/** The port an RDS Proxy for PostgreSQL listens on. */
export const PROXY_PORT = 5432;

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

    const group = proxySecurityGroup(name, args, parent);

    const proxy = new aws.rds.Proxy(
      `${name}-proxy`,
      {
        name: `precog-${args.environment}`,
        engineFamily: "POSTGRESQL",
        requireTls: true,
        roleArn: role.arn,
        vpcSubnetIds: [...args.subnetIds],
        vpcSecurityGroupIds: [group.id],
        auths: [{ authScheme: "SECRETS", secretArn: args.appSecretArn, iamAuth: "DISABLED" }],
      },
      // A proxy takes several minutes to become available, and its target waits for the instance.
      { parent, dependsOn: group.rules, customTimeouts: PROXY_TIMEOUTS },
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
      { parent, customTimeouts: PROXY_TIMEOUTS },
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

/**
 * The proxy's own security group: ingress from the app's groups on the proxy's port, egress to the
 * database's groups on the instance's port, and each database group admitting it. No other rule:
 * the provider removes the default allow-all egress of a group it creates.
 */
function proxySecurityGroup(name: string, args: RdsProxyArgs, parent: pulumi.Resource) {
  const tags = { "precog:environment": args.environment };
  const subnet = aws.ec2.getSubnetOutput({ id: args.subnetIds[0] }, { parent });
  const group = new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      vpcId: subnet.vpcId,
      description: `Precog ${args.environment}: the RDS Proxy (from the app, to the database only)`,
      tags,
    },
    { parent },
  );
  const rules: pulumi.Resource[] = [];
  for (const id of args.clientSecurityGroupIds)
    rules.push(
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-${id}`,
        {
          securityGroupId: group.id,
          referencedSecurityGroupId: id,
          ipProtocol: "tcp",
          fromPort: PROXY_PORT,
          toPort: PROXY_PORT,
          description: `Precog ${args.environment}: the app`,
        },
        { parent },
      ),
    );
  for (const id of args.databaseSecurityGroupIds) {
    rules.push(
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-to-${id}`,
        {
          securityGroupId: group.id,
          referencedSecurityGroupId: id,
          ipProtocol: "tcp",
          fromPort: args.port,
          toPort: args.port,
          description: `Precog ${args.environment}: the database`,
        },
        { parent },
      ),
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-db-ingress-${id}`,
        {
          securityGroupId: id,
          referencedSecurityGroupId: group.id,
          ipProtocol: "tcp",
          fromPort: args.port,
          toPort: args.port,
          description: `Precog ${args.environment}: the RDS Proxy`,
        },
        { parent },
      ),
    );
  }
  return { id: group.id, rules };
}
