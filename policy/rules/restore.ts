/**
 * A restored RDS instance keeps the identifier its stack knows it by: the identifier is what its
 * address, its log groups' names (and the key policy's condition on them) and the role secrets'
 * host follow from, so a restore under another name would leave each of them pointing at the old
 * instance. docs/operations.md, "Restoring an instance", renames the old one out of the way instead.
 */
import { ofType, type Rule, strictOnStagingAndProd, TYPES, UNKNOWN, type Violation } from "../resources";

const LOG_GROUP = /^\/aws\/rds\/instance\/([^/]+)\/postgresql$/;

export const restoreKeepsIdentifier: Rule = {
  name: "restore-keeps-identifier",
  description:
    "An RDS instance restored from a snapshot or a point in time (precog:rds.restore) is created under the identifier its log groups are named for, never a new or generated one, and not from itself.",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const out: Violation[] = [];
    const logged = ofType(resources, TYPES.logGroup)
      .map((g) => LOG_GROUP.exec(String(g.props.name))?.[1])
      .filter((id): id is string => id !== undefined);
    for (const r of ofType(resources, TYPES.rdsInstance)) {
      const pit = r.props.restoreToPointInTime as { sourceDbInstanceIdentifier?: unknown } | undefined;
      if (r.props.snapshotIdentifier === undefined && pit === undefined) continue;
      const id = r.props.identifier;
      if (id === UNKNOWN) continue;
      if (typeof id !== "string" || id === "")
        out.push({
          resource: r.name,
          message: "a restored instance has no identifier of its own (a generated one); give it the stack's identifier",
        });
      else if (logged.length > 0 && !logged.includes(id))
        out.push({
          resource: r.name,
          message: `the instance is restored as ${id}, but its log groups are named for ${logged.join(", ")}: restore under that identifier (rename the old instance first)`,
        });
      if (pit?.sourceDbInstanceIdentifier !== undefined && pit.sourceDbInstanceIdentifier === id)
        out.push({
          resource: r.name,
          message: `the instance is restored from ${id}, its own identifier: rename the old instance first and restore from that name`,
        });
    }
    return out;
  },
};
