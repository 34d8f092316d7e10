/**
 * Static parameters waiting for a reboot (infra/server/pending-reboot.ts), under mocks on the aws
 * stacks: the RDS API's reading (a stand-in: the group's apply status and values) and the stack's
 * own last record decide what is in force; the connection budget is held to the max_connections in
 * force until the reboot; the outputs pendingReboot and serverParameters and the warning at the end
 * of the up name what waits and the command. Local stacks ask RDS nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReadInstanceParameters } from "../../infra/server/instance-parameters";
import type { DeployedParameters, InstanceParameters } from "../../infra/server/pending-reboot";
import { committedSummary, type Recorded, runStack } from "./harness";

const SELF = "organization/precog/staging";
const STATIC = { "rds.force_ssl": "1", shared_preload_libraries: "pg_stat_statements,pgaudit" };
const AT_100 = { ...STATIC, max_connections: "100" };
const AT_200 = { ...STATIC, max_connections: "200" };
const REBOOT = "aws rds reboot-db-instance --db-instance-identifier precog-staging";

/** A stand-in for the RDS API that answers `reading` and records what it was asked. */
function rds(reading: InstanceParameters | undefined) {
  const asked: [string, readonly string[]][] = [];
  const read: ReadInstanceParameters = async (identifier, names) => {
    asked.push([identifier, [...names]]);
    return reading;
  };
  return { asked, read };
}

const STAGING_ONLY = ["precog-staging"];

/** A serverParameters record: configured values, and what each of `instances` ran with. */
function rec(
  configured: Record<string, string>,
  inForce: Record<string, string>,
  floor: number,
  instances = STAGING_ONLY,
) {
  return {
    configured,
    instances: Object.fromEntries(instances.map((id) => [id, { inForce, maxConnectionsFloor: floor }])),
  };
}

/** The other stacks' outputs as the harness gives them, plus staging's own last record. */
async function deployedWith(record: DeployedParameters | undefined) {
  const migrations = await committedSummary();
  return {
    "organization/precog/test": { migrations },
    [SELF]: record ? { database: "precog_staging", serverParameters: record } : { database: "precog_staging" },
  };
}

function connectionsAlarmThreshold(resources: Recorded[]) {
  return resources.find((r) => r.name === "precog-staging-server-alarms-connections")?.inputs.threshold;
}

/** The run's error message, or "went through" (a whole Run is too large to print in a failure). */
function refusal(run: Promise<unknown>): Promise<string> {
  return run.then(
    () => "went through",
    (e: Error) => e.message,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("static parameters waiting for a reboot", () => {
  it("a first deployment: RDS has no instance, it starts with the group, nothing waits", async () => {
    const api = rds(undefined);
    const r = await runStack("staging", { instanceParameters: api.read, stackOutputs: await deployedWith(undefined) });
    expect(api.asked).toEqual([["precog-staging", ["rds.force_ssl", "max_connections", "shared_preload_libraries"]]]);
    expect(r.values.pendingReboot).toBeNull();
    expect(r.values.serverParameters).toEqual(rec(AT_200, AT_200, 200));
    expect(connectionsAlarmThreshold(r.resources)).toBe(Math.floor((200 - 10) * 0.9));
  });

  it("the group in-sync with the config: nothing waits, the budget is serverMax", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_200 });
    const warn = vi.spyOn(pulumi.log, "warn");
    const r = await runStack("staging", {
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_200, AT_200, 200)),
    });
    expect(r.values.pendingReboot).toBeNull();
    expect(r.values.serverParameters).toEqual(rec(AT_200, AT_200, 200));
    expect(warn).not.toHaveBeenCalled();
  });

  it("serverMax raised 100 -> 200: max_connections waits, reported with the reboot command; the alarm watches the 100 in force", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_100 });
    const warn = vi.spyOn(pulumi.log, "warn");
    const r = await runStack("staging", {
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_100, AT_100, 100)),
    });
    expect(r.byName("precog-staging-server-params").inputs.parameters).toContainEqual({
      name: "max_connections",
      value: "200",
      applyMethod: "pending-reboot",
    });
    expect(r.values.pendingReboot).toEqual({ parameters: ["max_connections"], commands: [REBOOT] });
    expect(r.values.serverParameters).toEqual(rec(AT_200, AT_100, 100));
    expect(connectionsAlarmThreshold(r.resources)).toBe(Math.floor((100 - 10) * 0.9));
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "The instance precog-staging runs with the old max_connections until rebooted (static parameters; RDS does not reboot for them, not even in the maintenance window). " +
        `Reboot it when a short outage suits: ${REBOOT} (docs/operations.md, "Parameters waiting for a reboot"). ` +
        "Until then the connection budget is held to the max_connections in force.",
    ]);
  });

  it("a preview says what the update will leave waiting", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_100 });
    const warn = vi.spyOn(pulumi.log, "warn");
    await runStack("staging", {
      preview: true,
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_100, AT_100, 100)),
    });
    expect(warn.mock.calls.map((c) => String(c[0]).split(" until ")[0])).toEqual([
      "After this update, the instance precog-staging runs with the old max_connections",
    ]);
  });

  const RAISED_POOLS = { "precog:pool.appInstances": 4 }; // 25 x 4 + 5 + 5 + 5 + 10 reserved = 125

  it("serverMax and the pools raised in one up: refused before anything is registered, the pools do not fit the 100 in force", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_100 });
    const sink: Recorded[] = [];
    const run = runStack("staging", {
      config: RAISED_POOLS,
      sink,
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_100, AT_100, 100)),
    });
    // The group still holds 100: nothing was written, so a reboot would change nothing.
    expect(await refusal(run)).toBe(
      `Stack "staging": the login roles' CONNECTION LIMITs plus connections.reserved need 125 connections, and the instance precog-staging ` +
        "runs with max_connections 100, and its parameter group does not hold precog:connections.serverMax 200 yet: that " +
        "would reach the server only at a reboot after this up, the role limits at once. " +
        "Put the pools and role limits back (the role limits plus connections.reserved at most 100), raise precog:connections.serverMax alone, up, " +
        `reboot (${REBOOT}), wait until it is available, then raise the pools and up again ` +
        '(docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
    );
    // Only what is registered before the checks: the migration provider and the stack's reference to itself.
    expect(sink.map((x) => `${x.type} ${x.name}`)).toEqual([
      "pulumi:providers:precog-migrations precog-staging-migrations-provider",
      "pulumi:pulumi:StackReference precog-staging-deployed",
    ]);
  });

  it("the next run before the reboot (group pending-reboot): still held to 100, from the record", async () => {
    const api = rds({ applyStatus: "pending-reboot", groupValues: AT_200 });
    const deployed = await deployedWith(rec(AT_200, AT_100, 100));
    // The group holds 200 now (the last up wrote it): the reboot is what brings it in.
    expect(
      await refusal(
        runStack("staging", { config: RAISED_POOLS, instanceParameters: api.read, stackOutputs: deployed }),
      ),
    ).toBe(
      `Stack "staging": the login roles' CONNECTION LIMITs plus connections.reserved need 125 connections, and the instance precog-staging ` +
        "runs with max_connections 100 until it reboots (precog:connections.serverMax 200 is on its parameter group, pending a reboot). " +
        `Reboot it first (${REBOOT}), wait until it is available, then up again; ` +
        "or hold the role limits plus connections.reserved to at most 100 for now " +
        '(docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
    );
    const r = await runStack("staging", { instanceParameters: api.read, stackOutputs: deployed });
    expect(r.values.pendingReboot).toEqual({ parameters: ["max_connections"], commands: [REBOOT] });
    expect(r.values.serverParameters).toEqual(rec(AT_200, AT_100, 100));
  });

  it("after the reboot (in-sync at 200): the raised pools go through, nothing waits", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_200 });
    const r = await runStack("staging", {
      config: RAISED_POOLS,
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_200, AT_100, 100)),
    });
    expect(r.values.pendingReboot).toBeNull();
    expect(r.values.connectionLimits.app).toBe(105);
  });

  it("a reboot during an earlier up may have brought in any value the group held: the lowest one holds while pending", async () => {
    // Lowered 200 -> 150 and not rebooted yet; the record says 200 in force, the group holds 150.
    const api = rds({ applyStatus: "pending-reboot", groupValues: { ...STATIC, max_connections: "150" } });
    const r = await runStack("staging", {
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec({ ...STATIC, max_connections: "150" }, AT_200, 200)),
    });
    expect(r.values.serverParameters.instances["precog-staging"].maxConnectionsFloor).toBe(150);
    expect(connectionsAlarmThreshold(r.resources)).toBe(Math.floor((150 - 10) * 0.9));
  });

  it("the floor below the configured value: a raise back 100 -> 200 while the cut to 100 may be in force holds the budget to 100", async () => {
    // The last up cut 200 -> 100 (the group holds 100, pending-reboot; the record: 200 in force).
    // The server may have rebooted since and taken 100: this up, raising back to 200, is held to 100.
    const api = rds({ applyStatus: "pending-reboot", groupValues: AT_100 });
    const r = await runStack("staging", {
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_100, AT_200, 200)),
    });
    expect(r.values.serverParameters).toEqual(rec(AT_200, AT_200, 100));
    expect(connectionsAlarmThreshold(r.resources)).toBe(Math.floor((100 - 10) * 0.9));
  });

  it("deployed before the record existed, its group not in-sync: the value in force is unknown, refused before anything is registered", async () => {
    const api = rds({ applyStatus: "pending-reboot", groupValues: AT_200 });
    const sink: Recorded[] = [];
    const run = runStack("staging", {
      sink,
      instanceParameters: api.read,
      stackOutputs: await deployedWith(undefined),
    });
    expect(await refusal(run)).toBe(
      'Stack "staging": the parameter group of the instance precog-staging is pending-reboot (not in-sync), and the stack has no record of the values ' +
        "that instance runs with (the output serverParameters: a stack deployed before it existed), so the max_connections in force is not known " +
        "and the connection budget cannot be held to it. " +
        `Reboot the instance (${REBOOT}), wait until it is available with its group in-sync ` +
        "(aws rds describe-db-instances --db-instance-identifier precog-staging --query 'DBInstances[0].DBParameterGroups[0].ParameterApplyStatus'), " +
        'then up again (docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
    );
    expect(sink.map((x) => `${x.type} ${x.name}`)).toEqual([
      "pulumi:providers:precog-migrations precog-staging-migrations-provider",
      "pulumi:pulumi:StackReference precog-staging-deployed",
    ]);
  });

  it("deployed before the record existed, its group applying: refused before anything is registered, saying to wait (a reboot would not help yet)", async () => {
    const api = rds({ applyStatus: "applying", groupValues: AT_200 });
    const sink: Recorded[] = [];
    const run = runStack("staging", {
      sink,
      instanceParameters: api.read,
      stackOutputs: await deployedWith(undefined),
    });
    expect(await refusal(run)).toBe(
      'Stack "staging": the parameter group of the instance precog-staging is applying (not in-sync), and the stack has no record of the values ' +
        "that instance runs with (the output serverParameters: a stack deployed before it existed), so the max_connections in force is not known " +
        "and the connection budget cannot be held to it. " +
        "Wait until RDS has applied the group (aws rds describe-db-instances --db-instance-identifier precog-staging --query 'DBInstances[0].DBParameterGroups[0].ParameterApplyStatus' " +
        `says in-sync or pending-reboot), then up again; if it says pending-reboot, reboot first (${REBOOT}) ` +
        '(docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
    );
    expect(sink.map((x) => `${x.type} ${x.name}`)).toEqual([
      "pulumi:providers:precog-migrations precog-staging-migrations-provider",
      "pulumi:pulumi:StackReference precog-staging-deployed",
    ]);
  });

  it("pgaudit turned off: shared_preload_libraries leaves the group and waits for the reboot too", async () => {
    const api = rds({ applyStatus: "in-sync", groupValues: AT_200 });
    const r = await runStack("staging", {
      config: { "precog:rds.pgaudit": false },
      instanceParameters: api.read,
      stackOutputs: await deployedWith(rec(AT_200, AT_200, 200)),
    });
    expect(r.values.pendingReboot).toEqual({ parameters: ["shared_preload_libraries"], commands: [REBOOT] });
  });

  it("RDS cannot be asked: refused with what the roles need, nothing registered past the checks", async () => {
    const read: ReadInstanceParameters = async () => {
      throw new Error("User is not authorized to perform: rds:DescribeDBInstances");
    };
    expect(await refusal(runStack("staging", { instanceParameters: read }))).toBe(
      'Stack "staging": RDS did not say which parameters the instance precog-staging runs with (User is not authorized to perform: rds:DescribeDBInstances). ' +
        "The program asks before it registers anything, to hold the connection budget to the max_connections in force: " +
        "the deploy and preview roles need rds:DescribeDBInstances and rds:DescribeDBParameters (docs/aws.md). Nothing was changed.",
    );
  });

  describe("with read replicas (they share the instance's parameter group and its record)", () => {
    const REPLICAS = { "precog:rds.replicas": { count: 2, unmanagedMasterPassword: true } };
    const ALL = ["precog-staging", "precog-staging-replica-1", "precog-staging-replica-2"];
    const reboot = (id: string) => `aws rds reboot-db-instance --db-instance-identifier ${id}`;
    /** RDS's answer per identifier. */
    const byInstance = (readings: Record<string, InstanceParameters | undefined>) => {
      const asked: string[] = [];
      const read: ReadInstanceParameters = async (id) => {
        asked.push(id);
        return readings[id];
      };
      return { asked, read };
    };

    it("a raise 100 -> 200: every instance waits, the replicas are rebooted first, each named", async () => {
      const inSync100 = { applyStatus: "in-sync", groupValues: AT_100 };
      const api = byInstance({
        "precog-staging": inSync100,
        "precog-staging-replica-1": inSync100,
        "precog-staging-replica-2": inSync100,
      });
      const warn = vi.spyOn(pulumi.log, "warn");
      const r = await runStack("staging", {
        config: REPLICAS,
        instanceParameters: api.read,
        stackOutputs: await deployedWith(rec(AT_100, AT_100, 100, ALL)),
      });
      expect(api.asked).toEqual(["precog-staging", "precog-staging-replica-1", "precog-staging-replica-2"]);
      const order = ["precog-staging-replica-1", "precog-staging-replica-2", "precog-staging"];
      expect(r.values.pendingReboot).toEqual({ parameters: ["max_connections"], commands: order.map(reboot) });
      expect(warn.mock.calls.map((c) => c[0])).toEqual([
        "The instances precog-staging-replica-1, precog-staging-replica-2, precog-staging run with the old max_connections until rebooted " +
          "(static parameters; RDS does not reboot for them, not even in the maintenance window). " +
          "Reboot them one after the other, each once the one before is available again, in this order " +
          "(replicas first: a raise of max_connections reaches a hot standby before its primary): " +
          `${order.map(reboot).join("; ")} (docs/operations.md, "Parameters waiting for a reboot"). ` +
          "Until then the connection budget is held to the max_connections in force.",
      ]);
    });

    it("a cut 200 -> 150: the primary is rebooted first", async () => {
      const inSync200 = { applyStatus: "in-sync", groupValues: AT_200 };
      const api = byInstance({
        "precog-staging": inSync200,
        "precog-staging-replica-1": inSync200,
        "precog-staging-replica-2": inSync200,
      });
      const r = await runStack("staging", {
        config: { ...REPLICAS, "precog:connections.serverMax": 150 },
        instanceParameters: api.read,
        stackOutputs: await deployedWith(rec(AT_200, AT_200, 200, ALL)),
      });
      expect(r.values.pendingReboot.commands).toEqual(
        ["precog-staging", "precog-staging-replica-1", "precog-staging-replica-2"].map(reboot),
      );
    });

    it("a replica not yet rebooted after the raise: the readonly role is held to its 100, the instance's 200 notwithstanding", async () => {
      const api = byInstance({
        "precog-staging": { applyStatus: "in-sync", groupValues: AT_200 },
        "precog-staging-replica-1": { applyStatus: "in-sync", groupValues: AT_200 },
        "precog-staging-replica-2": { applyStatus: "pending-reboot", groupValues: AT_200 },
      });
      const deployed = await deployedWith(rec(AT_200, AT_100, 100, ALL));
      // readonly 95 + reserved 10 = 105 > 100 on the replica; 55 + 95 + 5 + 10 = 165 fits the instance's 200.
      const readonly95 = { ...REPLICAS, "precog:roles.readonly.connectionLimit": 95 };
      expect(
        await refusal(
          runStack("staging", { config: readonly95, instanceParameters: api.read, stackOutputs: deployed }),
        ),
      ).toBe(
        `Stack "staging": the readonly role's CONNECTION LIMIT plus connections.reserved need 105 connections, and the instance precog-staging-replica-2 ` +
          "runs with max_connections 100 until it reboots (precog:connections.serverMax 200 is on its parameter group, pending a reboot). " +
          `Reboot it first (${reboot("precog-staging-replica-2")}), wait until it is available, then up again; ` +
          "or hold the role limits plus connections.reserved to at most 100 for now " +
          '(docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
      );
      const r = await runStack("staging", { config: REPLICAS, instanceParameters: api.read, stackOutputs: deployed });
      expect(r.values.pendingReboot).toEqual({
        parameters: ["max_connections"],
        commands: [reboot("precog-staging-replica-2")],
      });
      // The run after, from this run's record: the replica still waits, the instance does not.
      const next = await runStack("staging", {
        config: REPLICAS,
        instanceParameters: api.read,
        stackOutputs: {
          ...deployed,
          [SELF]: { database: "precog_staging", serverParameters: r.values.serverParameters },
        },
      });
      expect(next.values.pendingReboot).toEqual(r.values.pendingReboot);
      expect(next.values.serverParameters.instances).toEqual({
        "precog-staging": { inForce: AT_200, maxConnectionsFloor: 200 },
        "precog-staging-replica-1": { inForce: AT_200, maxConnectionsFloor: 200 },
        "precog-staging-replica-2": { inForce: AT_100, maxConnectionsFloor: 100 },
      });
    });
  });

  it("a replica in another region is asked about in its region", async () => {
    const asked: [string, string | undefined][] = [];
    const read: ReadInstanceParameters = async (id, _names, region) => {
      asked.push([id, region]);
      return undefined;
    };
    await runStack("staging", {
      instanceParameters: read,
      config: {
        "precog:rds.replicas": {
          count: 1,
          unmanagedMasterPassword: true,
          otherRegion: { region: "us-west-2", subnetIds: ["subnet-w1", "subnet-w2"], securityGroupIds: ["sg-w1"] },
        },
      },
    });
    expect(asked).toEqual([
      ["precog-staging", undefined],
      ["precog-staging-replica-1", "us-west-2"],
    ]);
  });

  it.each(["dev", "test"] as const)("%s (local server): RDS is not asked, both outputs null", async (stack) => {
    const api = rds(undefined);
    const r = await runStack(stack, {
      instanceParameters: api.read,
      config: { "precog:adminPassword": "admin-password" },
      secretKeys: ["precog:adminPassword"],
    });
    expect(api.asked).toEqual([]);
    expect([r.values.pendingReboot, r.values.serverParameters]).toEqual([null, null]);
  });
});
