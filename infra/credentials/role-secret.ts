/**
 * RoleSecret: the Secrets Manager secret of one login role on an aws stack, in the shape AWS's RDS
 * PostgreSQL rotation functions read (engine, host, port, dbname, username, password) plus the pool
 * settings, with its rotation schedule.
 *
 * Rotation is never undone: Pulumi writes the secret's value once, when it creates it, and ignores
 * later differences in `secretString` (see ROTATION_OWNED); the role's password in PostgreSQL is
 * likewise written only at creation (see PrecogDatabase). After that, the rotation function owns
 * both, and a later `pulumi up` (with or without --refresh) leaves them alone.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Properties that rotation changes and Pulumi must therefore never write back. */
export const ROTATION_OWNED = ["secretString", "versionStages"];

export interface RoleSecretArgs {
  readonly environment: string;
  /** Role key: owner, app or readonly. */
  readonly role: string;
  readonly username: pulumi.Input<string>;
  readonly password: pulumi.Output<string>;
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly database: string;
  readonly pool: { readonly min: number; readonly max: number };
  /** Rotate every `days` days with the function `lambdaArn`; undefined: no rotation. */
  readonly rotation?: { readonly days: number; readonly lambdaArn: string };
  readonly protect: boolean;
  /** The stack's KMS key the secret is encrypted with; undefined: Secrets Manager's AWS-managed key. */
  readonly kmsKeyId?: pulumi.Input<string>;
}

export class RoleSecret extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: RoleSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:credentials:RoleSecret", name, {}, opts);
    const parent = this;

    const secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        name: `precog/${args.environment}/${args.role}`,
        description: `Precog ${args.environment}: credentials of the ${args.role} login role (rotated by Secrets Manager)`,
        recoveryWindowInDays: 30,
        kmsKeyId: args.kmsKeyId,
        tags: { "precog:environment": args.environment, "precog:role": args.role },
      },
      { parent, protect: args.protect },
    );

    const secretString = pulumi.secret(
      pulumi.all([args.username, args.password, args.host, args.port]).apply(([username, password, host, port]) =>
        JSON.stringify({
          engine: "postgres",
          host,
          port,
          dbname: args.database,
          username,
          password,
          poolMin: args.pool.min,
          poolMax: args.pool.max,
        }),
      ),
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-initial`,
      {
        secretId: secret.id,
        secretString,
      },
      { parent, ignoreChanges: ROTATION_OWNED },
    );

    if (args.rotation) {
      new aws.secretsmanager.SecretRotation(
        `${name}-rotation`,
        {
          secretId: secret.id,
          rotationLambdaArn: args.rotation.lambdaArn,
          rotationRules: { automaticallyAfterDays: args.rotation.days },
        },
        { parent, dependsOn: [version] },
      );
    }

    this.arn = secret.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
