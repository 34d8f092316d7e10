/**
 * What the server logs, and how it audits, on every server whose parameters this project sets: the
 * RDS parameter group (./rds.ts) and the end-to-end tests' local cluster, which must log exactly as
 * RDS does for their "no password in any log" check to mean anything. One home for these values.
 *
 * Why not `log_statement=ddl`: PostgreSQL classes CREATE/ALTER ROLE as DDL and logs the statement
 * as sent, so every `PASSWORD '<literal>'` (the postgresql provider's, a rotation function's) would
 * land in the server log and in CloudWatch. pgaudit logs the same changes and redacts what follows
 * the PASSWORD token (`alter role x password <REDACTED>`): its `role` class covers CREATE/ALTER/DROP
 * ROLE and GRANT/REVOKE, `ddl` the other schema changes. Statement text is also logged for failed
 * statements (`log_min_error_statement`) and slow ones (`log_min_duration_statement`) without any
 * redaction, so both are off; slow statements are for Performance Insights and pg_stat_statements.
 */

export interface ServerParameter {
  readonly name: string;
  readonly value: string;
  /** RDS: whether a change applies at once or at the next reboot (static parameters). */
  readonly applyMethod: "immediate" | "pending-reboot";
}

/** The pgaudit classes logged: role changes and DDL, never reads or writes. */
export const PGAUDIT_CLASSES = "ddl,role";

/** The logging parameters; the pgaudit ones only when `pgaudit` is on (the library must be installed). */
export function auditLoggingParameters(pgaudit: boolean): ServerParameter[] {
  const params: ServerParameter[] = [
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    { name: "log_statement", value: "none", applyMethod: "immediate" },
    { name: "log_min_duration_statement", value: "-1", applyMethod: "immediate" },
    { name: "log_min_error_statement", value: "panic", applyMethod: "immediate" },
  ];
  if (pgaudit) {
    params.push(
      { name: "shared_preload_libraries", value: "pg_stat_statements,pgaudit", applyMethod: "pending-reboot" },
      { name: "pgaudit.log", value: PGAUDIT_CLASSES, applyMethod: "immediate" },
      { name: "pgaudit.log_parameter", value: "0", applyMethod: "immediate" },
    );
  }
  return params;
}
