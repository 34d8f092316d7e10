/**
 * precog:rds.restore, checked: one source (a snapshot or a point in time), one moment for a point
 * in time (a UTC time or the latest restorable one), and never the stack's own instance as the
 * source, since the restored instance takes that identifier (docs/operations.md, "Restoring an
 * instance": the old instance is renamed out of the way first).
 */
import { instanceIdentifier } from "./rds-identifier";
import type { Reader } from "./reader";
import { NAMESPACE, type RdsConfig } from "./schema";

type Restore = NonNullable<RdsConfig["restore"]>;

/** A UTC time as RDS's RestoreTime takes it: 2026-12-06T21:30:00Z. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function checkRestore(r: Reader, restore: Restore, environment: string): void {
  const key = `${NAMESPACE}:rds.restore`;
  const { snapshotIdentifier, pointInTime } = restore;
  if ((snapshotIdentifier === undefined) === (pointInTime === undefined)) {
    r.problem(
      "rds.restore",
      snapshotIdentifier === undefined
        ? `names no source: set ${key}.snapshotIdentifier or ${key}.pointInTime, or remove ${key}`
        : `sets both snapshotIdentifier and pointInTime: keep the one to restore from`,
    );
  }
  if (!pointInTime) return;
  const own = instanceIdentifier(environment);
  if (pointInTime.sourceInstance === own)
    r.problem(
      "rds.restore.pointInTime.sourceInstance",
      `"${own}" is this stack's own identifier, which the restored instance takes: rename the old instance first ` +
        `(aws rds modify-db-instance --db-instance-identifier ${own} --new-db-instance-identifier ${own}-before-restore --apply-immediately) ` +
        `and restore from that name (docs/operations.md, "Restoring an instance")`,
    );
  const { restoreTime, useLatestRestorableTime } = pointInTime;
  if ((restoreTime === undefined) === !useLatestRestorableTime)
    r.problem(
      "rds.restore.pointInTime",
      restoreTime === undefined
        ? "names no moment: set restoreTime (UTC, e.g. 2026-12-06T21:30:00Z) or useLatestRestorableTime: true"
        : "sets both restoreTime and useLatestRestorableTime: keep one",
    );
  if (restoreTime !== undefined && !isUtcTime(restoreTime))
    r.problem("rds.restore.pointInTime.restoreTime", `"${restoreTime}" is not a UTC time like 2026-12-06T21:30:00Z`);
}

/** Of the form above and a real moment (no 30 February): it reads back as itself. */
function isUtcTime(text: string): boolean {
  const t = Date.parse(text);
  return UTC_TIME.test(text) && !Number.isNaN(t) && new Date(t).toISOString() === text.replace("Z", ".000Z");
}
