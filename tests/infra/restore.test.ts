/**
 * precog:rds.restore: checked (one source, one moment, never the stack's own instance), and fed to
 * the instance as snapshotIdentifier / restoreToPointInTime under the stack's own identifier; the
 * instance, which AWS refuses to delete while deletion protection is on, is forgotten rather than
 * deleted when replaced. Nothing of it without the key.
 */
import { describe, expect, it } from "vitest";
import { problemsOf } from "./config-problems";
import { runStack } from "./harness";

const PROD = { PRECOG_PROD_CONFIRMED: "yes" };

describe("precog:rds.restore, checked", () => {
  it("refused with read replicas, which would keep replicating from the old instance, renamed", () => {
    expect(
      problemsOf("prod", {
        "precog:rds.replicas": { count: 1, unmanagedMasterPassword: true },
        "precog:rds.restore": { snapshotIdentifier: "precog-prod-premigration-20261206-2100" },
      }),
    ).toEqual([
      "precog:rds.replicas: set with precog:rds.restore: a restore replaces the instance under its identifier, and the replicas (replicateSourceDb that identifier, or its ARN) " +
        "would keep replicating from the old instance, renamed. Remove the replicas first, restore, remove the restore once the restored instance is checked, " +
        'then add the replicas back (docs/operations.md, "Restoring an instance")',
    ]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "no source",
      { "precog:rds.restore": { pointInTime: undefined } },
      [
        "precog:rds.restore: names no source: set precog:rds.restore.snapshotIdentifier or precog:rds.restore.pointInTime, or remove precog:rds.restore",
      ],
    ],
    [
      "both sources",
      {
        "precog:rds.restore": {
          snapshotIdentifier: "precog-prod-premigration-20261206-2100",
          pointInTime: { sourceInstance: "precog-prod-before-restore", useLatestRestorableTime: true },
        },
      },
      ["precog:rds.restore: sets both snapshotIdentifier and pointInTime: keep the one to restore from"],
    ],
    [
      "from its own identifier, with no moment",
      { "precog:rds.restore": { pointInTime: { sourceInstance: "precog-prod" } } },
      [
        'precog:rds.restore.pointInTime.sourceInstance: "precog-prod" is this stack\'s own identifier, which the restored instance takes: rename the old instance first ' +
          "(aws rds modify-db-instance --db-instance-identifier precog-prod --new-db-instance-identifier precog-prod-before-restore --apply-immediately) " +
          'and restore from that name (docs/operations.md, "Restoring an instance")',
        "precog:rds.restore.pointInTime: names no moment: set restoreTime (UTC, e.g. 2026-12-06T21:30:00Z) or useLatestRestorableTime: true",
      ],
    ],
    [
      "two moments, one of them not a time",
      {
        "precog:rds.restore": {
          pointInTime: {
            sourceInstance: "precog-prod-before-restore",
            restoreTime: "2026-02-30T21:30:00Z",
            useLatestRestorableTime: true,
          },
        },
      },
      [
        "precog:rds.restore.pointInTime: sets both restoreTime and useLatestRestorableTime: keep one",
        'precog:rds.restore.pointInTime.restoreTime: "2026-02-30T21:30:00Z" is not a UTC time like 2026-12-06T21:30:00Z',
      ],
    ],
    [
      "a point in time without its source",
      { "precog:rds.restore": { pointInTime: { useLatestRestorableTime: true } } },
      [
        "precog:rds.restore.pointInTime.sourceInstance: missing: set it with `pulumi config set --path 'precog:rds.restore.pointInTime.sourceInstance' <value>`",
      ],
    ],
  ])("%s", (_label, overrides, problems) => {
    expect(problemsOf("prod", overrides)).toEqual(problems);
  });

  it("accepts a snapshot, a restore time, the latest restorable time", () => {
    for (const restore of [
      { snapshotIdentifier: "precog-prod-premigration-20261206-2100" },
      { pointInTime: { sourceInstance: "precog-prod-before-restore", restoreTime: "2026-12-06T21:30:00Z" } },
      { pointInTime: { sourceInstance: "precog-prod-before-restore", useLatestRestorableTime: true } },
    ])
      expect(problemsOf("prod", { "precog:rds.restore": restore })).toEqual([]);
  });
});

describe("the instance, restored", () => {
  it("a point in time: restoreToPointInTime from the renamed instance, under the stack's own identifier", async () => {
    const r = await runStack("prod", {
      config: {
        "precog:rds.restore": {
          pointInTime: { sourceInstance: "precog-prod-before-restore", restoreTime: "2026-12-06T21:30:00Z" },
        },
      },
      vars: PROD,
    });
    const instance = r.byName("precog-prod-server-instance");
    expect(instance.inputs.identifier).toBe("precog-prod");
    expect(instance.inputs.restoreToPointInTime).toEqual({
      sourceDbInstanceIdentifier: "precog-prod-before-restore",
      restoreTime: "2026-12-06T21:30:00Z",
    });
    expect(instance.inputs.snapshotIdentifier).toBeUndefined();
    // The names that follow from the identifier stay: the log groups, the address the secrets hold.
    expect(r.byName("precog-prod-server-log-postgresql").inputs.name).toBe("/aws/rds/instance/precog-prod/postgresql");
    expect(r.values.instanceId).toBe("precog-prod");
  });

  it("the latest restorable time, and a snapshot", async () => {
    const latest = await runStack("staging", {
      config: {
        "precog:rds.restore": {
          pointInTime: { sourceInstance: "precog-staging-before-restore", useLatestRestorableTime: true },
        },
      },
    });
    expect(latest.byName("precog-staging-server-instance").inputs.restoreToPointInTime).toEqual({
      sourceDbInstanceIdentifier: "precog-staging-before-restore",
      useLatestRestorableTime: true,
    });
    const snap = await runStack("staging", {
      config: { "precog:rds.restore": { snapshotIdentifier: "precog-staging-premigration-20261206-2100" } },
    });
    const instance = snap.byName("precog-staging-server-instance").inputs;
    expect([instance.identifier, instance.snapshotIdentifier, instance.restoreToPointInTime]).toEqual([
      "precog-staging",
      "precog-staging-premigration-20261206-2100",
      undefined,
    ]);
  });

  it("without precog:rds.restore: no restore input; the instance is forgotten, not deleted, while deletion protection is on", async () => {
    const r = await runStack("prod", { vars: PROD });
    const instance = r.byName("precog-prod-server-instance");
    expect("snapshotIdentifier" in instance.inputs || "restoreToPointInTime" in instance.inputs).toBe(false);
    expect(instance.opts.retainOnDelete).toBe(true);
    // A restore removed after it ran replaces nothing: its recorded inputs are left as they are.
    expect(instance.opts.ignoreChanges).toEqual(["snapshotIdentifier", "restoreToPointInTime"]);
    const restoring = await runStack("staging", {
      config: { "precog:rds.restore": { snapshotIdentifier: "precog-staging-premigration-20261206-2100" } },
    });
    expect(restoring.byName("precog-staging-server-instance").opts.ignoreChanges).toBeUndefined();
    const off = await runStack("staging", { config: { "precog:rds.deletionProtection": false } });
    expect(off.byName("precog-staging-server-instance").opts.retainOnDelete).toBe(false);
  });
});
