/**
 * The RDS API's reading of an instance's parameters (./pending-reboot.ts says what it is for):
 * DescribeDBInstances for the group's apply status, DescribeDBParameters for the group's current
 * values of the static parameters. Read before anything is registered, by the deploy role and the
 * preview role alike (both may describe RDS; neither logs in to the database for it).
 */
import type { InstanceParameters } from "./pending-reboot";

/** What the program asks of RDS: the SDK's client, or a test's stand-in. */
export type ReadInstanceParameters = (
  identifier: string,
  names: readonly string[],
  /** Where the instance is; absent: the stack's region (aws:region). A cross-region replica's is another. */
  region?: string,
) => Promise<InstanceParameters | undefined>;

/** The SDK's reading, in the stack's `region` unless told another; undefined when the instance does not exist (yet). */
export function rdsInstanceParameters(region: string): ReadInstanceParameters {
  return async (identifier, names, inRegion = region) => {
    const rds = await import("@aws-sdk/client-rds");
    const client = new rds.RDSClient({ region: inRegion });
    let instance: import("@aws-sdk/client-rds").DBInstance | undefined;
    try {
      const out = await client.send(new rds.DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      instance = out.DBInstances?.[0];
    } catch (e) {
      if ((e as { name?: string }).name === "DBInstanceNotFoundFault") return undefined;
      throw e;
    }
    const group = instance?.DBParameterGroups?.[0];
    if (!group?.DBParameterGroupName) return undefined;
    const groupValues: Record<string, string> = {};
    let Marker: string | undefined;
    do {
      const out = await client.send(
        new rds.DescribeDBParametersCommand({
          DBParameterGroupName: group.DBParameterGroupName,
          Source: "user",
          Marker,
        }),
      );
      for (const p of out.Parameters ?? [])
        if (p.ParameterName && names.includes(p.ParameterName) && p.ParameterValue !== undefined)
          groupValues[p.ParameterName] = p.ParameterValue;
      Marker = out.Marker;
    } while (Marker);
    return { applyStatus: group.ParameterApplyStatus ?? "unknown", groupValues };
  };
}
