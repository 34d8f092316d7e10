/**
 * precog:rds.replicas, checked: replicas need the master password out of Secrets Manager (RDS
 * refuses to create a read replica of an instance whose master password it manages, for every
 * engine but SQL Server), which the stack's config must say it accepts, knowing the trade-off; no
 * replicas with a restore (the replicas would stay on the old instance); no major upgrade with
 * replicas in another region (AWS documents one with same-region replicas only).
 */
import type { Reader } from "./reader";
import { NAMESPACE, type RdsConfig } from "./schema";

export function checkReplicas(r: Reader, rds: RdsConfig): void {
  if (rds.replicas?.otherRegion?.subnetIds.length === 1)
    r.problem(
      "rds.replicas.otherRegion.subnetIds",
      "RDS needs subnets in at least two availability zones; list two or more in that region",
    );
  if (rds.replicas && rds.restore)
    r.problem(
      "rds.replicas",
      `set with ${NAMESPACE}:rds.restore: a restore replaces the instance under its identifier, and the replicas (replicateSourceDb that identifier, or its ARN) ` +
        "would keep replicating from the old instance, renamed. Remove the replicas first, restore, remove the restore once the restored instance is checked, " +
        'then add the replicas back (docs/operations.md, "Restoring an instance")',
    );
  if (rds.replicas?.otherRegion && rds.allowMajorVersionUpgrade)
    r.problem(
      "rds.allowMajorVersionUpgrade",
      `set with replicas in another region (${NAMESPACE}:rds.replicas.otherRegion): AWS documents a major version upgrade of the instance ` +
        "with its replicas in the same region only. Remove the replicas, upgrade, then add them back " +
        '(docs/stacks.md, "A major version upgrade"; docs/operations.md, "Read replicas")',
    );
  if (!rds.replicas || rds.replicas.unmanagedMasterPassword === true) return;
  r.problem(
    "rds.replicas.unmanagedMasterPassword",
    "RDS creates no read replica of an instance whose master password it manages in Secrets Manager (manageMasterUserPassword, this stack's default). " +
      "With replicas the stack sets a generated master password instead: a secret in the stack's state only (encrypted with the stack's secrets provider), " +
      "never rotated by RDS and never read by the program, which logs in by IAM; break-glass resets it with aws rds modify-db-instance --master-user-password. " +
      `Accept that with ${NAMESPACE}:rds.replicas.unmanagedMasterPassword: true, or remove ${NAMESPACE}:rds.replicas ` +
      '(docs/operations.md, "Read replicas")',
  );
}

/**
 * otherRegion must be another region than the stack's (aws:region, which the config does not hold):
 * checked with the parsed config before anything is registered (infra/program.ts, preflight).
 */
/** precog:rds.backupReplication.region must not be the stack's own: the second copy is in another region. */
export function checkBackupReplicationRegion(
  stack: string,
  rds: RdsConfig | undefined,
  stackRegion: string | undefined,
): void {
  const region = rds?.backupReplication?.region;
  if (region === undefined || region !== stackRegion) return;
  throw new Error(
    `Stack "${stack}": ${NAMESPACE}:rds.backupReplication.region "${region}" is the stack's own region (aws:region): a second copy must be in another one; ` +
      `set it with \`pulumi config set --stack ${stack} --path '${NAMESPACE}:rds.backupReplication.region' <region>\`. Nothing was changed.`,
  );
}

export function checkReplicaRegion(stack: string, rds: RdsConfig | undefined, stackRegion: string | undefined): void {
  const other = rds?.replicas?.otherRegion;
  if (!other || other.region !== stackRegion) return;
  throw new Error(
    `Stack "${stack}": ${NAMESPACE}:rds.replicas.otherRegion.region "${other.region}" is the stack's own region (aws:region): remove otherRegion for replicas in the instance's region, ` +
      `or name another one (\`pulumi config set --stack ${stack} --path '${NAMESPACE}:rds.replicas.otherRegion.region' <region>\`). Nothing was changed.`,
  );
}
