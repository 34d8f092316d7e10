/**
 * The operating settings of precog:rds, checked against what AWS accepts: the alarms' period (a
 * whole number of minutes, as CloudWatch takes periods of 60 seconds and more).
 */
import type { Reader } from "./reader";
import type { RdsConfig } from "./schema";

export function checkOperations(r: Reader, rds: RdsConfig): void {
  const { periodSeconds } = rds.alarms;
  if (Number.isInteger(periodSeconds) && periodSeconds % 60 !== 0)
    r.problem("rds.alarms.periodSeconds", `${periodSeconds} is not a multiple of 60; CloudWatch takes whole minutes`);
}
