/**
 * gp3 IOPS and throughput as config, checked against gp3's limits for the size; Database Insights'
 * mode; the instance's and proxy's timeouts, long enough for a Multi-AZ create and a first backup.
 */
import { describe, expect, it } from "vitest";
import { runStack } from "./harness";

const PROD = { PRECOG_PROD_CONFIRMED: "yes" };

describe("storage, insights and timeouts", () => {
  it("committed prod: gp3's baseline (no iops or throughput set), standard insights, long timeouts on the instance and proxy", async () => {
    const r = await runStack("prod", { vars: PROD });
    const instance = r.byName("precog-prod-server-instance");
    expect([instance.inputs.iops, instance.inputs.storageThroughput, instance.inputs.databaseInsightsMode]).toEqual([
      undefined,
      undefined,
      "standard",
    ]);
    expect(instance.opts.customTimeouts).toEqual({ create: "4h", update: "4h", delete: "2h" });
    for (const n of ["precog-prod-proxy-proxy", "precog-prod-proxy-target"])
      expect([n, r.byName(n).opts.customTimeouts]).toEqual([n, { create: "1h", update: "1h", delete: "1h" }]);
  });

  it("400 GiB and more: provisioned IOPS and throughput reach the instance; advanced insights with 731 days", async () => {
    const r = await runStack("prod", {
      config: {
        "precog:rds.allocatedStorage": 400,
        "precog:rds.iops": 16000,
        "precog:rds.storageThroughput": 1000,
        "precog:rds.databaseInsightsMode": "advanced",
      },
      vars: PROD,
    });
    expect(r.byName("precog-prod-server-instance").inputs).toMatchObject({
      storageType: "gp3",
      allocatedStorage: 400,
      iops: 16000,
      storageThroughput: 1000,
      databaseInsightsMode: "advanced",
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "IOPS and throughput below 400 GiB",
      { "precog:rds.iops": 12000, "precog:rds.storageThroughput": 500 },
      [
        "precog:rds.iops: gp3 below 400 GiB has a fixed 3000 IOPS and 125 MiB/s, and rds.allocatedStorage is 200: remove it, or raise allocatedStorage to 400 or more",
        "precog:rds.storageThroughput: gp3 below 400 GiB has a fixed 3000 IOPS and 125 MiB/s, and rds.allocatedStorage is 200: remove it, or raise allocatedStorage to 400 or more",
      ],
    ],
    [
      "more throughput than the IOPS give",
      { "precog:rds.allocatedStorage": 500, "precog:rds.iops": 12000, "precog:rds.storageThroughput": 4000 },
      [
        "precog:rds.storageThroughput: 4000 MiB/s is more than gp3 gives 12000 IOPS (0.25 MiB/s per IOPS, 3000); lower it or raise rds.iops",
      ],
    ],
    [
      "IOPS out of gp3's range",
      { "precog:rds.allocatedStorage": 500, "precog:rds.iops": 3000 },
      ["precog:rds.iops: 3000 is outside 12000..64000"],
    ],
    [
      "advanced insights with a short retention",
      { "precog:rds.databaseInsightsMode": "advanced", "precog:rds.performanceInsightsRetentionDays": 7 },
      [
        "precog:rds.databaseInsightsMode: advanced needs Performance Insights kept at least 465 days, and rds.performanceInsightsRetentionDays is 7; raise it (e.g. 731) or use standard",
      ],
    ],
  ])("refused: %s", async (_label, config, problems) => {
    const error = await runStack("prod", { config, vars: PROD }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message.split("\n").slice(1)).toEqual(problems.map((p) => `  - ${p}`));
  });
});
