/**
 * The second copy of the automated backups (precog:rds.backupReplication): RDS replicates the
 * instance's automated backups and transaction logs to another region, where a point-in-time
 * restore works when the instance's region does not. The copy is encrypted with a key of the
 * stack's own in that region (a KMS key is regional), kept like the stack key when the stack is
 * destroyed (the copies outlive it, and need it).
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { RdsConfig } from "../../src/config/parse";

export interface BackupReplicationArgs {
  readonly environment: string;
  readonly replication: NonNullable<RdsConfig["backupReplication"]>;
  readonly instanceArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
  readonly protect: boolean;
}

export function backupReplication(name: string, args: BackupReplicationArgs, parent: pulumi.Resource): void {
  const { region, retentionDays } = args.replication;
  // Another region than the stack's: checked before anything is registered (src/config/check-replicas.ts).
  const home = aws.config.requireRegion();
  const key = new aws.kms.Key(
    `${name}-key`,
    {
      region,
      description: `Precog ${args.environment}: the automated backups replicated from ${home}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { ...args.tags },
    },
    { parent, protect: args.protect, retainOnDelete: true },
  );
  new aws.kms.Alias(
    `${name}-key-alias`,
    { region, name: `alias/precog-${args.environment}-backups`, targetKeyId: key.keyId },
    { parent },
  );
  new aws.rds.InstanceAutomatedBackupsReplication(
    `${name}`,
    { region, sourceDbInstanceArn: args.instanceArn, kmsKeyId: key.arn, retentionPeriod: retentionDays },
    { parent, protect: args.protect },
  );
}
