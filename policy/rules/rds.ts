/**
 * The RDS server's safety settings: encrypted, private, TLS forced, deletion protection and a final
 * snapshot on staging and prod, backups kept at least the configured minimum, audit logging on.
 * Mandatory on staging and prod, advisory on an aws dev or test stack.
 */
import { ofType, type Rule, strictOnStagingAndProd, TYPES, UNKNOWN, type Violation } from "../resources";

/**
 * What the parameter group must set. Statement logging stays off (`log_statement` none): it would
 * write every `PASSWORD '<literal>'` of CREATE/ALTER ROLE to the log; pgaudit logs DDL and role
 * changes instead, with passwords redacted.
 */
const AUDIT_PARAMETERS: Readonly<Record<string, string>> = {
  "rds.force_ssl": "1",
  log_connections: "1",
  log_disconnections: "1",
  log_statement: "none",
};
const PGAUDIT_CLASSES = ["ddl", "role"];

/** A read replica (precog:rds.replicas): it names the instance it replicates. */
export const isReplica = (r: { props: Record<string, unknown> }): boolean =>
  r.props.replicateSourceDb !== undefined && r.props.replicateSourceDb !== "";

/**
 * Whether `replica` replicates `source`: its replicateSourceDb is the source's identifier (same
 * region) or its ARN (`arn:aws:rds:<region>:<account>:db:<identifier>`, another region). A value
 * not known yet (a preview, before the source exists) names the stack's one source, if it has one.
 */
function replicates(
  replica: { props: Record<string, unknown> },
  source: { props: Record<string, unknown> },
  sourcesInStack: number,
): boolean {
  const from = replica.props.replicateSourceDb;
  const id = source.props.identifier;
  if (typeof from !== "string" || typeof id !== "string" || from === UNKNOWN || id === UNKNOWN)
    return sourcesInStack === 1;
  return from === id || from.endsWith(`:db:${id}`) || from === source.props.arn;
}

export const rdsInstanceSafe: Rule = {
  name: "rds-instance-safe",
  description:
    "RDS instances: storage encrypted, not publicly accessible, deletion protection, PostgreSQL logs exported; the primary also a final snapshot and backup retention at least the configured minimum (a read replica has neither: its source's backups are the stack's).",
  scope: "resource",
  level: strictOnStagingAndProd,
  check(resources, { minimumBackupRetentionDays }) {
    const out: Violation[] = [];
    for (const r of ofType(resources, TYPES.rdsInstance)) {
      const p = r.props;
      const bad = (message: string) => out.push({ resource: r.name, message });
      if (p.storageEncrypted !== true) bad("storage is not encrypted (storageEncrypted)");
      if (p.publiclyAccessible !== false)
        bad("the instance may be publicly accessible (publiclyAccessible must be false)");
      if (p.deletionProtection !== true) bad("deletion protection is off (precog:rds.deletionProtection)");
      const logs = Array.isArray(p.enabledCloudwatchLogsExports) ? p.enabledCloudwatchLogsExports : [];
      if (!logs.includes("postgresql"))
        bad("PostgreSQL logs are not exported (enabledCloudwatchLogsExports must include postgresql)");
      if (isReplica(r)) continue;
      if (p.skipFinalSnapshot !== false || !p.finalSnapshotIdentifier)
        bad("no final snapshot on deletion (precog:rds.finalSnapshot)");
      const days = Number(p.backupRetentionPeriod ?? 0);
      if (!(days >= minimumBackupRetentionDays))
        bad(
          `backups are kept ${days} day(s), fewer than the minimum ${minimumBackupRetentionDays} (precog:rds.backupRetentionDays)`,
        );
    }
    return out;
  },
};

export const rdsTlsAndAudit: Rule = {
  name: "rds-tls-and-audit",
  description:
    "RDS parameter groups force TLS (rds.force_ssl 1), log connections and disconnections, and audit DDL and role changes through pgaudit (pgaudit.log ddl,role) with statement logging off (log_statement none), so no password reaches the log.",
  scope: "resource",
  level: strictOnStagingAndProd,
  check(resources) {
    const out: Violation[] = [];
    for (const r of ofType(resources, TYPES.parameterGroup)) {
      const params = new Map<string, string>();
      for (const x of Array.isArray(r.props.parameters) ? r.props.parameters : [])
        params.set(String(x?.name), String(x?.value));
      for (const [name, value] of Object.entries(AUDIT_PARAMETERS)) {
        if (params.get(name) !== value)
          out.push({
            resource: r.name,
            message: `parameter ${name} is ${params.get(name) ?? "unset"}, must be ${value}`,
          });
      }
      const classes = (params.get("pgaudit.log") ?? "").split(",").map((c) => c.trim().toLowerCase());
      const missing = PGAUDIT_CLASSES.filter((c) => !classes.includes(c) && !classes.includes("all"));
      if (missing.length > 0)
        out.push({
          resource: r.name,
          message: `parameter pgaudit.log is ${params.get("pgaudit.log") ?? "unset"}, must include ${PGAUDIT_CLASSES.join(",")}`,
        });
    }
    return out;
  },
};

/**
 * The master password stays out of the stack where it can: RDS manages it in Secrets Manager. The
 * one exception is an instance with read replicas of its own in the stack (a replica whose
 * replicateSourceDb is that instance's identifier, or its ARN across regions), which RDS refuses to
 * create from such a source: then the stack sets a generated password, which must be a secret
 * (no-plain-passwords checks every password input is), and nothing else. A replica of another
 * instance exempts nothing.
 */
export const rdsMasterPassword: Rule = {
  name: "rds-master-password",
  description:
    "The RDS instance's master password is managed by RDS in Secrets Manager, except on an instance with read replicas of its own in the stack, which RDS requires to have a password of the stack's (a secret).",
  scope: "resource",
  level: strictOnStagingAndProd,
  check(resources) {
    const instances = ofType(resources, TYPES.rdsInstance);
    const replicas = instances.filter(isReplica);
    const sources = instances.filter((r) => !isReplica(r));
    const out: Violation[] = [];
    for (const r of sources) {
      if (r.props.manageMasterUserPassword === true) continue;
      if (!replicas.some((replica) => replicates(replica, r, sources.length)))
        out.push({
          resource: r.name,
          message:
            "the master password is not managed by RDS (manageMasterUserPassword), and the stack has no read replica of this instance that would need that (precog:rds.replicas)",
        });
      else if (r.props.password === undefined)
        out.push({ resource: r.name, message: "the master password is neither managed by RDS nor set by the stack" });
    }
    return out;
  },
};
