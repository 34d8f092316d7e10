/**
 * The backup the migration resource takes before applying on staging and prod: an RDS manual
 * snapshot, waited for until it is available, on aws; on a local server the engine's pg_dump
 * (`migrate`'s own backup, into the configured folder). A failed backup stops the apply.
 */
import type { BackupPlan } from "../contract";

/** What the snapshot step needs of RDS: the SDK's client, or a test's stand-in. */
export interface RdsSnapshots {
  create(instanceId: string, snapshotId: string): Promise<void>;
  /** The snapshot's status ("creating", "available", ...). */
  status(snapshotId: string): Promise<string | undefined>;
}

export async function rdsClient(region: string): Promise<RdsSnapshots> {
  const rds = await import("@aws-sdk/client-rds");
  const client = new rds.RDSClient({ region });
  return {
    async create(instanceId, snapshotId) {
      await client.send(
        new rds.CreateDBSnapshotCommand({
          DBInstanceIdentifier: instanceId,
          DBSnapshotIdentifier: snapshotId,
          Tags: [{ Key: "precog:purpose", Value: "pre-migration" }],
        }),
      );
    },
    async status(snapshotId) {
      const out = await client.send(new rds.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }));
      return out.DBSnapshots?.[0]?.Status;
    },
  };
}

export interface SnapshotOptions {
  readonly now?: () => Date;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

/** Takes a manual snapshot of `instanceId` and waits until it is available; returns its identifier. */
export async function snapshotBeforeApply(
  plan: Extract<BackupPlan, { kind: "rds-snapshot" }>,
  rds: RdsSnapshots,
  o: SnapshotOptions = {},
): Promise<string> {
  const stamp = (o.now ?? (() => new Date()))()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\..*/, "")
    .replace("T", "-")
    .toLowerCase();
  const id = `${plan.instanceId}-premigration-${stamp}`;
  await rds.create(plan.instanceId, id);
  const deadline = Date.now() + (o.timeoutMs ?? 60 * 60_000);
  for (;;) {
    const status = await rds.status(id);
    if (status === "available") return id;
    if (status === "failed" || status === "incompatible-restore")
      throw new Error(`RDS snapshot ${id} of ${plan.instanceId} ended "${status}": no migration was applied`);
    if (Date.now() > deadline)
      throw new Error(
        `RDS snapshot ${id} of ${plan.instanceId} was not available in time (status "${status}"): no migration was applied`,
      );
    await new Promise((r) => setTimeout(r, o.pollMs ?? 15_000));
  }
}
