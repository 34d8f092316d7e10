/**
 * Before anything is registered on an aws stack: the static parameters in force on the instance
 * and on its read replicas (./pending-reboot.ts), the max_connections the connection budget is held
 * to now, and the refusal when it does not fit: all login roles on the instance, the readonly role
 * on each replica (the one role that connects there). The record it returns is the stack output
 * `serverParameters`, which the next run reads back through the stack's reference to itself: per
 * instance, since a replica may be rebooted before or after its primary.
 */
import type * as pulumi from "@pulumi/pulumi";
import { connectionsNeeded, type PrecogConfig } from "../../src/config/parse";
import { instanceIdentifier, replicaIdentifiers } from "../../src/config/rds-identifier";
import type { ReadInstanceParameters } from "./instance-parameters";
import { staticParameters } from "./parameters";
import {
  budgetInForceError,
  type DeployedParameters,
  type InForce,
  InForceUnknown,
  type InstanceParameters,
  MAX_CONNECTIONS,
  maxConnectionsNow,
  parametersInForce,
  pendingReboot,
  rebootOrder,
  type Waiting,
} from "./pending-reboot";

export interface ParametersNow {
  readonly identifier: string;
  /** max_connections the login roles' budget (and the connections alarm) is held to on this run. */
  readonly maxConnections: number;
  /** The static parameters some instance will not have after this up until it reboots. */
  readonly pending: readonly string[];
  /** The instances to reboot, in order (empty when nothing waits). */
  readonly rebootOrder: readonly string[];
  /** Whether max_connections rises on some instance at its reboot (then the replicas go first). */
  readonly raise: boolean;
  /** The stack output serverParameters. */
  readonly record: DeployedParameters;
}

export async function parametersNow(
  config: PrecogConfig & { rds: NonNullable<PrecogConfig["rds"]> },
  deployed: pulumi.StackReference,
  read: ReadInstanceParameters,
): Promise<ParametersNow> {
  const identifier = instanceIdentifier(config.environment);
  const replicas = config.rds.replicas ? replicaIdentifiers(config.environment, config.rds.replicas.count) : [];
  const configuredMax = config.connections.serverMax;
  const configured = staticParameters(config.rds, configuredMax);
  const details = await deployed.getOutputDetails("serverParameters");
  const previous = (details.value ?? undefined) as DeployedParameters | undefined;
  // Asked on every run: a stack deployed before this record existed has an instance too. An
  // instance (or replica) that does not exist yet starts with the group's values.
  const replicaRegion = config.rds.replicas?.otherRegion?.region;
  const states = await Promise.all(
    [identifier, ...replicas].map(async (id) => {
      const where = id === identifier ? undefined : replicaRegion;
      const observed = await read(id, Object.keys(configured), where).catch((e: Error) => {
        throw new Error(
          `Stack "${config.stack}": RDS did not say which parameters the instance ${id} runs with (${e.message}). ` +
            "The program asks before it registers anything, to hold the connection budget to the max_connections in force: " +
            "the deploy and preview roles need rds:DescribeDBInstances and rds:DescribeDBParameters (docs/aws.md). Nothing was changed.",
        );
      });
      try {
        return { id, observed, state: parametersInForce(id, configured, observed, previous) };
      } catch (e) {
        if (e instanceof InForceUnknown) throw new Error(`Stack "${config.stack}": ${e.message}`);
        throw e;
      }
    }),
  );
  const [primary, ...onReplicas] = states;

  // All login roles connect to the instance; on a replica, the readonly role alone.
  const budgets = [
    { ...primary, needed: connectionsNeeded(config.connectionLimits, config.connections.reserved), whose: undefined },
    ...onReplicas.map((r) => ({
      ...r,
      needed: config.connectionLimits.readonly + config.connections.reserved,
      whose: "the readonly role's CONNECTION LIMIT",
    })),
  ];
  for (const { id, observed, state, needed, whose } of budgets) {
    const max = maxConnectionsNow(configuredMax, state);
    if (max < configuredMax && needed > max)
      throw new Error(
        budgetInForceError(config.stack, id, configuredMax, max, needed, onGroup(configured, observed), whose),
      );
  }
  const maxConnections = maxConnectionsNow(configuredMax, primary.state);

  const waiting: Waiting[] = states.map(({ id, state }) => ({
    identifier: id,
    replica: id !== identifier,
    parameters: pendingReboot(configured, state.inForce),
  }));
  const raise = states.some(({ state }) => rises(configured, state));
  return {
    identifier,
    maxConnections,
    pending: [...new Set(waiting.flatMap((w) => w.parameters))].sort(),
    rebootOrder: rebootOrder(waiting, raise),
    raise,
    record: { configured, instances: Object.fromEntries(states.map(({ id, state }) => [id, state])) },
  };
}

/** Whether the instance's group already holds the configured max_connections (an earlier up wrote it). */
function onGroup(configured: Readonly<Record<string, string>>, observed: InstanceParameters | undefined): boolean {
  return observed !== undefined && observed.groupValues[MAX_CONNECTIONS] === configured[MAX_CONNECTIONS];
}

function rises(configured: Readonly<Record<string, string>>, state: InForce): boolean {
  return Number(configured[MAX_CONNECTIONS]) > state.maxConnectionsFloor;
}
