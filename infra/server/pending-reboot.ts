/**
 * Static parameters (applyMethod pending-reboot: max_connections, shared_preload_libraries,
 * rds.force_ssl) reach the parameter group at `up`, and the running server only at its next
 * reboot: RDS marks the instance's group `pending-reboot` and reboots for no one. Until then the
 * server runs with the values it started with, so the connection budget the login roles' limits are
 * held to is the lower of the configured max_connections and the one in force.
 *
 * What is in force is known from the RDS API and the stack's own record, read before anything is
 * registered (./instance-parameters.ts, ../program.ts):
 *
 *   no instance yet          it is created with the group: the configured values
 *   group `in-sync`          the group's current values (DescribeDBParameters) are the server's
 *   otherwise (`pending-     the values recorded for it at the last `in-sync` reading (the stack
 *   reboot`, `applying`)     output serverParameters, per instance); for max_connections the
 *                            lowest value the server may have started with since then
 *                            (maxConnectionsFloor: a reboot during an up may have brought in any
 *                            value the group held); with no record of the instance (a stack
 *                            deployed before the record existed) not known: refused, reboot first
 *
 * Pure: the readings come in as arguments.
 */

/** The static parameters' values by name, as the parameter group holds them (strings). */
export type ParameterValues = Readonly<Record<string, string>>;

/** What the RDS API says of the instance: its group's apply status and the group's current static values. */
export interface InstanceParameters {
  /** DescribeDBInstances DBParameterGroups[].ParameterApplyStatus: in-sync, pending-reboot, applying. */
  readonly applyStatus: string;
  readonly groupValues: ParameterValues;
}

/** What a server runs with when this up starts, and the lowest max_connections it may run with until its group is in-sync again. */
export interface InForce {
  readonly inForce: ParameterValues;
  readonly maxConnectionsFloor: number;
}

/** The stack output `serverParameters`: this up's record, which the next run reads. */
export interface DeployedParameters {
  /** The static parameters this stack set on the group. */
  readonly configured: ParameterValues;
  /** Per instance identifier (the primary's and each read replica's): what it ran with as this up started. */
  readonly instances: Readonly<Record<string, InForce>>;
}

export const MAX_CONNECTIONS = "max_connections";

/**
 * What is in force on `identifier` as this run starts, from the RDS API's reading (undefined: no
 * instance) and the last up's record. Throws (InForceUnknown) when the group is not in-sync and
 * there is no record of the instance: the values in force are not known then (a stack deployed
 * before the record existed), and taking the group's would hold the budget to values not in force.
 */
export function parametersInForce(
  identifier: string,
  configured: ParameterValues,
  observed: InstanceParameters | undefined,
  previous: DeployedParameters | undefined,
): InForce {
  const last = previous?.instances?.[identifier];
  if (!observed) return { inForce: configured, maxConnectionsFloor: Number(configured[MAX_CONNECTIONS]) };
  if (observed.applyStatus === "in-sync")
    return { inForce: observed.groupValues, maxConnectionsFloor: Number(observed.groupValues[MAX_CONNECTIONS]) };
  if (!last) throw new InForceUnknown(identifier, observed.applyStatus);
  const candidates = [
    last.maxConnectionsFloor,
    previous?.configured?.[MAX_CONNECTIONS],
    last.inForce[MAX_CONNECTIONS],
    observed.groupValues[MAX_CONNECTIONS],
  ]
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  return {
    inForce: last.inForce,
    maxConnectionsFloor: candidates.length > 0 ? Math.min(...candidates) : Number(configured[MAX_CONNECTIONS]),
  };
}

/** The group is not in-sync and the stack has no record of what the instance started with. */
export class InForceUnknown extends Error {
  constructor(
    readonly identifier: string,
    readonly applyStatus: string,
  ) {
    const status = `aws rds describe-db-instances --db-instance-identifier ${identifier} --query 'DBInstances[0].DBParameterGroups[0].ParameterApplyStatus'`;
    // `applying` passes by itself (RDS is writing the group's dynamic values); a reboot would not help yet.
    const whatToDo =
      applyStatus === "applying"
        ? `Wait until RDS has applied the group (${status} says in-sync or pending-reboot), then up again; ` +
          `if it says pending-reboot, reboot first (${rebootCommand(identifier)})`
        : `Reboot the instance (${rebootCommand(identifier)}), wait until it is available with its group in-sync (${status}), then up again`;
    super(
      `the parameter group of the instance ${identifier} is ${applyStatus} (not in-sync), and the stack has no record of the values ` +
        "that instance runs with (the output serverParameters: a stack deployed before it existed), so the max_connections in force is not known " +
        "and the connection budget cannot be held to it. " +
        whatToDo +
        ' (docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.',
    );
  }
}

/** The static parameters whose configured value is not the one in force: each waits for a reboot. */
export function pendingReboot(configured: ParameterValues, inForce: ParameterValues): string[] {
  const names = new Set([...Object.keys(configured), ...Object.keys(inForce)]);
  return [...names].filter((n) => configured[n] !== inForce[n]).sort();
}

/** The max_connections the login roles' limits must fit in now: the configured one, or less while a reboot is pending. */
export function maxConnectionsNow(configuredMax: number, state: InForce): number {
  return Number.isInteger(state.maxConnectionsFloor)
    ? Math.min(configuredMax, state.maxConnectionsFloor)
    : configuredMax;
}

/** The command that brings the pending values in (a restart of the database: a short outage). */
export function rebootCommand(identifier: string): string {
  return `aws rds reboot-db-instance --db-instance-identifier ${identifier}`;
}

/** An instance (the primary or a read replica) and the static parameters it takes only at its next reboot. */
export interface Waiting {
  readonly identifier: string;
  readonly replica: boolean;
  readonly parameters: readonly string[];
}

/**
 * The reboots, in order. A hot standby must run with a max_connections at least its primary's, or
 * PostgreSQL pauses its replay: a raise reaches the replicas first, a cut the primary first.
 */
export function rebootOrder(waiting: readonly Waiting[], raise: boolean): string[] {
  const pending = waiting.filter((w) => w.parameters.length > 0);
  const replicas = pending.filter((w) => w.replica).map((w) => w.identifier);
  const primary = pending.filter((w) => !w.replica).map((w) => w.identifier);
  return raise ? [...replicas, ...primary] : [...primary, ...replicas];
}

/** The warning at the end of an up (or a preview) that leaves parameters waiting for a reboot. */
export function pendingRebootWarning(
  parameters: readonly string[],
  order: readonly string[],
  raise: boolean,
  preview: boolean,
): string {
  const who = order.length === 1 ? `instance ${order[0]} runs` : `instances ${order.join(", ")} run`;
  const how =
    order.length === 1
      ? `Reboot it when a short outage suits: ${rebootCommand(order[0])}`
      : `Reboot them one after the other, each once the one before is available again, in this order ` +
        `(${raise ? "replicas first: a raise of max_connections reaches a hot standby before its primary" : "the primary first"}): ` +
        order.map(rebootCommand).join("; ");
  return (
    `${preview ? "After this update, the" : "The"} ${who} with the old ${parameters.join(", ")} until rebooted ` +
    `(static parameters; RDS does not reboot for them, not even in the maintenance window). ${how} ` +
    `(docs/operations.md, "Parameters waiting for a reboot"). Until then the connection budget is held to the max_connections in force.`
  );
}

/**
 * The refusal when the login roles' limits fit the configured max_connections but not the one in
 * force: raising both in one up would let the roles open more connections than the server takes
 * until it reboots. Nothing is registered when it is thrown. `onGroup`: the group already holds the
 * configured max_connections (an earlier up wrote it; a reboot brings it in); otherwise it still
 * holds the old one, and only an up with serverMax alone, then a reboot, raises the server's.
 */
export function budgetInForceError(
  stack: string,
  identifier: string,
  configuredMax: number,
  inForceMax: number,
  needed: number,
  onGroup: boolean,
  whose = "the login roles' CONNECTION LIMITs",
): string {
  const head = `Stack "${stack}": ${whose} plus connections.reserved need ${needed} connections, and the instance ${identifier} `;
  const doc = '(docs/operations.md, "Parameters waiting for a reboot"). Nothing was changed.';
  if (onGroup)
    return (
      `${head}runs with max_connections ${inForceMax} until it reboots (precog:connections.serverMax ${configuredMax} is on its parameter group, pending a reboot). ` +
      `Reboot it first (${rebootCommand(identifier)}), wait until it is available, then up again; ` +
      `or hold the role limits plus connections.reserved to at most ${inForceMax} for now ${doc}`
    );
  return (
    `${head}runs with max_connections ${inForceMax}, and its parameter group does not hold precog:connections.serverMax ${configuredMax} yet: that ` +
    "would reach the server only at a reboot after this up, the role limits at once. " +
    `Put the pools and role limits back (the role limits plus connections.reserved at most ${inForceMax}), raise precog:connections.serverMax alone, up, ` +
    `reboot (${rebootCommand(identifier)}), wait until it is available, then raise the pools and up again ${doc}`
  );
}
