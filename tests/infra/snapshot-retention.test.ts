/**
 * The pre-migration snapshots' retention (infra/migrations/plugin/snapshot.ts pruneSnapshots), with
 * a fake RDS: the newest keepLast kept, and any younger than keepDays; only this module's
 * `<instance>-premigration-` snapshots are ever deleted.
 */
import { describe, expect, it } from "vitest";
import { pruneSnapshots, type RdsSnapshots } from "../../infra/migrations/plugin/snapshot";

const NOW = new Date("2026-12-07T00:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

function fakeRds(snapshots: { id: string; created: Date }[]) {
  const removed: string[] = [];
  const rds: RdsSnapshots = {
    create: async () => {},
    status: async () => "available",
    manual: async () => snapshots,
    remove: async (id) => {
      removed.push(id);
    },
  };
  return { rds, removed };
}

const plan = (keepLast: number, keepDays: number) =>
  ({ kind: "rds-snapshot", instanceId: "precog-prod", region: "us-east-1", keepLast, keepDays }) as const;

/** Five pre-migration snapshots, 1 to 50 days old, and two that are not this module's. */
const SNAPSHOTS = [
  { id: "precog-prod-premigration-20261206-000000", created: daysAgo(1) },
  { id: "precog-prod-premigration-20261127-000000", created: daysAgo(10) },
  { id: "precog-prod-premigration-20261117-000000", created: daysAgo(20) },
  { id: "precog-prod-premigration-20261107-000000", created: daysAgo(30) },
  { id: "precog-prod-premigration-20261018-000000", created: daysAgo(50) },
  { id: "precog-prod-before-17", created: daysAgo(60) },
  { id: "precog-prod-final-0a1b2c3d", created: daysAgo(90) },
];

describe("pruneSnapshots", () => {
  it("keeps the newest keepLast, deletes the older ones, oldest last; never a snapshot it did not name", async () => {
    const { rds, removed } = fakeRds([...SNAPSHOTS].reverse());
    expect(await pruneSnapshots(plan(2, 0), rds, NOW)).toEqual([
      "precog-prod-premigration-20261117-000000",
      "precog-prod-premigration-20261107-000000",
      "precog-prod-premigration-20261018-000000",
    ]);
    expect(removed).toHaveLength(3);
  });

  it("keeps those younger than keepDays beyond the count", async () => {
    const { rds, removed } = fakeRds(SNAPSHOTS);
    await pruneSnapshots(plan(1, 25), rds, NOW);
    expect(removed).toEqual(["precog-prod-premigration-20261107-000000", "precog-prod-premigration-20261018-000000"]);
  });

  it("deletes nothing while the count holds them all", async () => {
    const { rds, removed } = fakeRds(SNAPSHOTS);
    expect(await pruneSnapshots(plan(10, 0), rds, NOW)).toEqual([]);
    expect(removed).toEqual([]);
  });
});
