/**
 * The backup the migration resource takes before applying on staging and prod: an RDS manual
 * snapshot, waited for until it is available, on aws; on a local server the engine's pg_dump
 * (`migrate`'s own backup, into the configured folder). A failed backup stops the apply. After a
 * snapshot, the older pre-migration snapshots beyond the configured retention are deleted.
 */
import type { BackupPlan } from "../contract";

/** What the snapshot step needs of RDS: the SDK's client, or a test's stand-in. */
export interface RdsSnapshots {
  create(instanceId: string, snapshotId: string): Promise<void>;
  /** The snapshot's status ("creating", "available", ...). */
  status(snapshotId: string): Promise<string | undefined>;
  /** The instance's manual snapshots: identifier and creation time. */
  manual(instanceId: string): Promise<{ id: string; created: Date }[]>;
  remove(snapshotId: string): Promise<void>;
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
    async manual(instanceId) {
      const found: { id: string; created: Date }[] = [];
      let Marker: string | undefined;
      do {
        const out = await client.send(
          new rds.DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instanceId, SnapshotType: "manual", Marker }),
        );
        for (const x of out.DBSnapshots ?? [])
          if (x.DBSnapshotIdentifier && x.SnapshotCreateTime)
            found.push({ id: x.DBSnapshotIdentifier, created: x.SnapshotCreateTime });
        Marker = out.Marker;
      } while (Marker);
      return found;
    },
    async remove(snapshotId) {
      await client.send(new rds.DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
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

/**
 * Deletes the instance's pre-migration snapshots (`<instance>-premigration-…`, this module's names
 * only: never another manual snapshot) beyond the newest `keepLast` that are also older than
 * `keepDays`, so they never pile up against RDS's quota of manual snapshots. Returns the deleted ones.
 */
export async function pruneSnapshots(
  plan: Extract<BackupPlan, { kind: "rds-snapshot" }>,
  rds: RdsSnapshots,
  now: Date = new Date(),
): Promise<string[]> {
  const prefix = `${plan.instanceId}-premigration-`;
  const ours = (await rds.manual(plan.instanceId))
    .filter((s) => s.id.startsWith(prefix))
    .sort((a, b) => b.created.getTime() - a.created.getTime());
  const cutoff = now.getTime() - plan.keepDays * 86_400_000;
  const old = ours.slice(plan.keepLast).filter((s) => s.created.getTime() < cutoff);
  for (const s of old) await rds.remove(s.id);
  return old.map((s) => s.id);
}
