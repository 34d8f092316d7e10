/**
 * The RDS API's reading of an instance's parameters (infra/server/instance-parameters.ts), with
 * the SDK's client answered by a stand-in (no AWS here): the exact requests, the group's apply
 * status, only the asked static parameters' values across pages, and "no instance" for
 * DBInstanceNotFound; any other error reaches the caller.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rdsInstanceParameters } from "../../infra/server/instance-parameters";

type Sent = { name: string; input: Record<string, unknown>; region?: string };

/** Answers every command; `sent` records each with the region of the client it was sent through. */
function answer(reply: (c: Sent) => unknown) {
  const sent: Sent[] = [];
  vi.spyOn(RDSClient.prototype, "send").mockImplementation(async function (this: RDSClient, command: any) {
    const c = { name: command.constructor.name, input: command.input };
    sent.push({ ...c, region: await this.config.region() });
    return reply(c) as never;
  });
  return sent;
}

const NAMES = ["rds.force_ssl", "max_connections", "shared_preload_libraries"];

afterEach(() => vi.restoreAllMocks());

describe("rdsInstanceParameters", () => {
  it("the group's apply status and the asked parameters' values, over every page", async () => {
    const sent = answer((c) => {
      if (c.name === "DescribeDBInstancesCommand")
        return {
          DBInstances: [
            {
              DBParameterGroups: [
                { DBParameterGroupName: "precog-prod-postgres16", ParameterApplyStatus: "pending-reboot" },
              ],
            },
          ],
        };
      return c.input.Marker === undefined
        ? {
            Parameters: [
              { ParameterName: "max_connections", ParameterValue: "400" },
              { ParameterName: "log_connections", ParameterValue: "1" },
            ],
            Marker: "page-2",
          }
        : { Parameters: [{ ParameterName: "rds.force_ssl", ParameterValue: "1" }] };
    });
    expect(await rdsInstanceParameters("us-east-1")("precog-prod", NAMES)).toEqual({
      applyStatus: "pending-reboot",
      groupValues: { max_connections: "400", "rds.force_ssl": "1" },
    });
    expect(sent).toEqual([
      { name: "DescribeDBInstancesCommand", input: { DBInstanceIdentifier: "precog-prod" }, region: "us-east-1" },
      {
        name: "DescribeDBParametersCommand",
        input: { DBParameterGroupName: "precog-prod-postgres16", Source: "user", Marker: undefined },
        region: "us-east-1",
      },
      {
        name: "DescribeDBParametersCommand",
        input: { DBParameterGroupName: "precog-prod-postgres16", Source: "user", Marker: "page-2" },
        region: "us-east-1",
      },
    ]);
  });

  it("a replica in another region is asked in that region, the rest in the stack's", async () => {
    const sent = answer((c) =>
      c.name === "DescribeDBInstancesCommand"
        ? { DBInstances: [{ DBParameterGroups: [{ DBParameterGroupName: "g", ParameterApplyStatus: "in-sync" }] }] }
        : { Parameters: [] },
    );
    const read = rdsInstanceParameters("us-east-1");
    await read("precog-prod-replica-1", NAMES, "us-west-2");
    await read("precog-prod", NAMES);
    expect(sent.map((c) => [c.name, c.input.DBInstanceIdentifier ?? c.input.DBParameterGroupName, c.region])).toEqual([
      ["DescribeDBInstancesCommand", "precog-prod-replica-1", "us-west-2"],
      ["DescribeDBParametersCommand", "g", "us-west-2"],
      ["DescribeDBInstancesCommand", "precog-prod", "us-east-1"],
      ["DescribeDBParametersCommand", "g", "us-east-1"],
    ]);
  });

  it("no such instance (yet): undefined", async () => {
    answer(() => {
      throw Object.assign(new Error("DBInstance precog-prod not found."), { name: "DBInstanceNotFoundFault" });
    });
    expect(await rdsInstanceParameters("us-east-1")("precog-prod", NAMES)).toBeUndefined();
  });

  it("any other error (no permission) reaches the caller", async () => {
    answer(() => {
      throw Object.assign(new Error("not authorized to perform: rds:DescribeDBInstances"), { name: "AccessDenied" });
    });
    await expect(rdsInstanceParameters("us-east-1")("precog-prod", NAMES)).rejects.toThrow(
      "not authorized to perform: rds:DescribeDBInstances",
    );
  });
});
