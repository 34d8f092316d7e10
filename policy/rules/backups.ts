/**
 * Prod's backups have a second copy outside the instance's region: an RDS automated-backup
 * replication of each instance (precog:rds.backupReplication). A region that fails takes the
 * instance and its automated backups with it; the copy is what a restore starts from then.
 */
import { type Level, ofType, type Rule, TYPES, type Violation } from "../resources";
import { isReplica } from "./rds";

export const prodBackupsCopied: Rule = {
  name: "prod-backups-copied",
  description:
    "On prod, every RDS instance's automated backups are replicated to a second region (an InstanceAutomatedBackupsReplication of it, precog:rds.backupReplication).",
  scope: "stack",
  // Staging's data is a rehearsal: a second copy of it is the team's choice there.
  level: (environment): Level => (environment === "prod" ? "mandatory" : "advisory"),
  check(resources, { environment }) {
    if (environment !== "prod") return [];
    const copies = ofType(resources, TYPES.backupReplication);
    const out: Violation[] = [];
    // A read replica has no automated backups to copy: its source's are the stack's.
    for (const instance of ofType(resources, TYPES.rdsInstance).filter((r) => !isReplica(r))) {
      const copied = copies.some(
        (c) =>
          c.dependencies.includes(instance.name) ||
          String(c.props.sourceDbInstanceArn).endsWith(`:db:${String(instance.props.identifier)}`),
      );
      if (!copied)
        out.push({
          resource: instance.name,
          message:
            "prod's automated backups are in one region only; set precog:rds.backupReplication (a second region) for a copy",
        });
    }
    return out;
  },
};
