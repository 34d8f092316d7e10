/**
 * The operating settings of precog:rds, checked against what AWS accepts: the alarms' period (a
 * whole number of minutes, as CloudWatch takes periods of 60 seconds and more); gp3's provisioned
 * IOPS and throughput (only from 400 GiB on for PostgreSQL, where the baseline is 12000 IOPS and
 * 500 MiB/s, and at most 0.25 MiB/s per IOPS); Database Insights' advanced mode (15 months of
 * Performance Insights).
 */
import type { Reader } from "./reader";
import type { RdsConfig } from "./schema";

/** gp3 on RDS for PostgreSQL: below this size, IOPS and throughput are fixed (3000, 125 MiB/s). */
export const GP3_PROVISIONED_FROM_GIB = 400;
const MIBPS_PER_IOPS = 0.25;
/** Advanced Database Insights keeps Performance Insights 15 months. */
const ADVANCED_INSIGHTS_DAYS = 465;

export function checkOperations(r: Reader, rds: RdsConfig): void {
  for (const key of ["iops", "storageThroughput"] as const)
    if (rds[key] !== undefined && rds.allocatedStorage < GP3_PROVISIONED_FROM_GIB)
      r.problem(
        `rds.${key}`,
        `gp3 below ${GP3_PROVISIONED_FROM_GIB} GiB has a fixed 3000 IOPS and 125 MiB/s, and rds.allocatedStorage is ${rds.allocatedStorage}: ` +
          `remove it, or raise allocatedStorage to ${GP3_PROVISIONED_FROM_GIB} or more`,
      );
  if (
    rds.iops !== undefined &&
    rds.storageThroughput !== undefined &&
    rds.storageThroughput > rds.iops * MIBPS_PER_IOPS
  )
    r.problem(
      "rds.storageThroughput",
      `${rds.storageThroughput} MiB/s is more than gp3 gives ${rds.iops} IOPS (${MIBPS_PER_IOPS} MiB/s per IOPS, ${rds.iops * MIBPS_PER_IOPS}); lower it or raise rds.iops`,
    );
  if (rds.databaseInsightsMode === "advanced" && rds.performanceInsightsRetentionDays < ADVANCED_INSIGHTS_DAYS)
    r.problem(
      "rds.databaseInsightsMode",
      `advanced needs Performance Insights kept at least ${ADVANCED_INSIGHTS_DAYS} days, and rds.performanceInsightsRetentionDays is ${rds.performanceInsightsRetentionDays}; raise it (e.g. 731) or use standard`,
    );
  const { periodSeconds } = rds.alarms;
  if (Number.isInteger(periodSeconds) && periodSeconds % 60 !== 0)
    r.problem("rds.alarms.periodSeconds", `${periodSeconds} is not a multiple of 60; CloudWatch takes whole minutes`);
}
