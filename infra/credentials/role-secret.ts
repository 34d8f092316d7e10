/**
 * RoleSecret: the Secrets Manager secret of one login role on an aws stack. Its value is in the
 * shape AWS's RDS PostgreSQL rotation functions read (engine, host, port, dbname, username,
 * password), with its rotation schedule; the app role's pool bounds are the secret's tags.
 *
 * Two owners, two places:
 * - the value belongs to rotation. Pulumi writes it once, when it creates it, and ignores later
 *   differences in `secretString` (see ROTATION_OWNED); the role's password in PostgreSQL is
 *   likewise written only at creation (see PrecogDatabase). After that, the rotation function owns
 *   both, and a later `pulumi up` (with or without --refresh) leaves them alone. Only what the
 *   rotation function needs is in it (host and port included: it logs in with them);
 * - the tags belong to Pulumi: config (the pool bounds, POOL_TAGS), rewritten by every `up` on the
 *   secret itself, which a rotation never touches. The application reads them with the same client
 *   and secret id as the credentials (src/app/secrets.ts). A host change (docs/operations.md,
 *   "When the instance's address changes") is the one value fact that can go stale.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POOL_TAGS } from "../../src/env/secret-tags";

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
  /** The app role's pool bounds, per app instance, as tags (POOL_TAGS); undefined for the other roles. */
  readonly pool?: { readonly min: number; readonly max: number };
  /**
   * Rotate every `days` days with the function `lambdaArn`, once `ready` exists (the function and its
   * way to the database); undefined: no rotation.
   */
  readonly rotation?: {
    readonly days: number;
    readonly lambdaArn: pulumi.Input<string>;
    readonly ready: readonly pulumi.Resource[];
  };
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
        tags: {
          "precog:environment": args.environment,
          "precog:role": args.role,
          ...(args.pool ? { [POOL_TAGS.min]: String(args.pool.min), [POOL_TAGS.max]: String(args.pool.max) } : {}),
        },
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
          // The first rotation comes with the schedule, not with this deploy (./rotation.ts).
          rotateImmediately: false,
        },
        { parent, dependsOn: [version, ...args.rotation.ready] },
      );
    }

    // A preview reads no secret value (the preview role may not: ../server/iam-login-policies.ts);
    // an update reads the address, after the version exists (on the first `up` there is no value before it).
    if (!pulumi.runtime.isDryRun()) {
      const secretId = pulumi.all([secret.arn, version.id]).apply(([arn]) => arn);
      const current = aws.secretsmanager.getSecretVersionOutput({ secretId }, { parent }).secretString.apply((s) => {
        const { host, port } = JSON.parse(s) as { host?: unknown; port?: unknown };
        return { host, port };
      });
      warnOnAddressChange(`precog/${args.environment}/${args.role}`, current, args, this);
    }

    this.arn = secret.arn;
    this.version = version;
    this.registerOutputs({ arn: this.arn });
  }
}

/**
 * Warns when the secret's host or port is not the server's (a restored or renamed instance): the
 * rotation function logs in at the secret's address and would fail, and apps without DB_HOST
 * connect there. Pulumi does not rewrite the value (rotation owns it; a read-modify-write could
 * race a rotation in progress): the runbook's procedure does, with a new version of the same password.
 */
function warnOnAddressChange(
  name: string,
  current: pulumi.Output<{ host?: unknown; port?: unknown }>,
  server: Pick<RoleSecretArgs, "host" | "port">,
  resource: pulumi.Resource,
): void {
  pulumi.all([current, server.host, server.port]).apply(([v, host, port]) => {
    if (v.host === host && Number(v.port) === port) return;
    pulumi.log.warn(
      `Secret ${name} names the server ${String(v.host)}:${String(v.port)}, but the instance is at ${host}:${port}: ` +
        `its rotation function logs in at the secret's address and will fail, and apps without DB_HOST connect there. ` +
        `Write the new address into the secret: docs/operations.md, "When the instance's address changes".`,
      resource,
    );
  });
}
