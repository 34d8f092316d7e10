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

/**
 * The staging label of the stack's own on the version Pulumi creates. Secrets Manager deletes a
 * version once no label is left on it (after two rotations AWSPREVIOUS has moved on): the next
 * refresh would then find Pulumi's version gone and `up` would create it again, the original
 * password as AWSCURRENT. With this label the version is never unlabelled, so it survives any
 * number of rotations and a refresh finds it (and ignores its value and labels: ROTATION_OWNED).
 */
export const PULUMI_VERSION_STAGE = "PRECOG_PULUMI_CREATED";

export interface RoleSecretArgs {
  readonly environment: string;
  /** Role key: migrator, app or readonly. */
  readonly role: string;
  readonly username: pulumi.Input<string>;
  readonly password: pulumi.Output<string>;
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly database: string;
  readonly pool: { readonly min: number; readonly max: number };
  /** Rotate every `days` days with the function `lambdaArn`; undefined: no rotation. */
  readonly rotation?: { readonly days: number; readonly lambdaArn: pulumi.Input<string> };
  readonly protect: boolean;
  /** The stack's KMS key the secret is encrypted with; undefined: Secrets Manager's AWS-managed key. */
  readonly kmsKeyId?: pulumi.Input<string>;
}

export class RoleSecret extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  /** The version Pulumi created (pinned by PULUMI_VERSION_STAGE). */
  readonly version: aws.secretsmanager.SecretVersion;

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
        versionStages: ["AWSCURRENT", PULUMI_VERSION_STAGE],
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
    this.version = version;
    this.registerOutputs({ arn: this.arn });
  }
}
