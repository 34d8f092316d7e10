/**
 * The one home of RDS IAM database authentication tokens: what the `precog-db` command and the
 * migration plugin give PostgreSQL as the password of a login granted `rds_iam` (on aws stacks the
 * migrator and the deployer, which have no password: src/env/roles.ts `IAM_LOGINS`). A token is a
 * SigV4-presigned `rds-db:connect` request for one host, port, user and region, signed locally with
 * the caller's AWS credentials (the default chain unless given); it opens connections for 15
 * minutes and is a credential: never print it.
 */
import type { SignerConfig } from "@aws-sdk/rds-signer";

export interface RdsIamLogin {
  /** The instance's address, as connections name it (the name its certificate carries). */
  readonly host: string;
  readonly port: number;
  /** The PostgreSQL login, granted `rds_iam`. */
  readonly user: string;
  /** The instance's region. */
  readonly region: string;
  /** Default: the AWS SDK's default chain (environment, profile, web identity, instance role). */
  readonly credentials?: SignerConfig["credentials"];
}

/** The token to send as `login.user`'s password. Loads the signer when first asked (most commands never are). */
export async function rdsIamToken(login: RdsIamLogin): Promise<string> {
  const { Signer } = await import("@aws-sdk/rds-signer");
  const signer = new Signer({
    hostname: login.host,
    port: login.port,
    username: login.user,
    region: login.region,
    ...(login.credentials ? { credentials: login.credentials } : {}),
  });
  return signer.getAuthToken();
}

/** An RDS address's region (`<id>.<hash>.<region>.rds.amazonaws.com`); undefined for any other name. */
export function regionOfRdsHost(host: string): string | undefined {
  return /^[^.]+\.[^.]+\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

/**
 * The region to sign for: AWS_REGION (else AWS_DEFAULT_REGION) when set, else the one the RDS host
 * name carries; an error naming what to set when neither says.
 */
export function rdsIamRegion(host: string, vars: Readonly<Record<string, string | undefined>>): string {
  const region = vars.AWS_REGION || vars.AWS_DEFAULT_REGION || regionOfRdsHost(host);
  if (region) return region;
  throw new Error(
    `Cannot tell the AWS region of ${host} for its IAM login token: set AWS_REGION to the instance's region.`,
  );
}
