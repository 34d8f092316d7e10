/** The RDS parameter group's parameters: safety and budget ones, then the audit logging ones (./audit-logging.ts). */
import type { RdsConfig } from "../../src/config/parse";
import { auditLoggingParameters, type ServerParameter } from "./audit-logging";

export function parameterList(rds: Pick<RdsConfig, "pgaudit">, maxConnections: number): ServerParameter[] {
  return [
    { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
    { name: "max_connections", value: String(maxConnections), applyMethod: "pending-reboot" },
    ...auditLoggingParameters(rds.pgaudit),
  ];
}

/** The static ones (applyMethod pending-reboot), by name: what the server takes only at a reboot. */
export function staticParameters(rds: Pick<RdsConfig, "pgaudit">, maxConnections: number): Record<string, string> {
  return Object.fromEntries(
    parameterList(rds, maxConnections)
      .filter((p) => p.applyMethod === "pending-reboot")
      .map((p) => [p.name, p.value]),
  );
}
