/**
 * precog:rds.restore as the instance's inputs: a snapshot (`snapshotIdentifier`) or a point in
 * time of another instance (`restoreToPointInTime`), nothing when unset. RDS reads them only when
 * it creates the instance; the identifier stays the stack's own (./rds.ts), so a restore keeps the
 * address the role secrets name, the log groups' names and the key policy's condition on them.
 */
import type * as aws from "@pulumi/aws";
import type { RdsConfig } from "../../src/config/parse";

export type RestoreInputs = Pick<aws.rds.InstanceArgs, "snapshotIdentifier" | "restoreToPointInTime">;

export function restoreInputs(restore: RdsConfig["restore"]): RestoreInputs {
  if (restore?.snapshotIdentifier !== undefined) return { snapshotIdentifier: restore.snapshotIdentifier };
  const pit = restore?.pointInTime;
  if (!pit) return {};
  return {
    restoreToPointInTime: {
      sourceDbInstanceIdentifier: pit.sourceInstance,
      ...(pit.useLatestRestorableTime ? { useLatestRestorableTime: true } : { restoreTime: pit.restoreTime }),
    },
  };
}
