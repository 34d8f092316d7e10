/**
 * Before anything is registered on an aws stack: the static parameters in force on the instance
 * (./pending-reboot.ts), the max_connections the login roles' limits are held to now, and the
 * refusal when they do not fit it. The record it returns is the stack output `serverParameters`,
 * which the next run reads back through the stack's reference to itself.
 */
import type * as pulumi from "@pulumi/pulumi";
import { connectionsNeeded, type PrecogConfig } from "../../src/config/parse";
import { instanceIdentifier } from "../../src/config/rds-identifier";
import type { ReadInstanceParameters } from "./instance-parameters";
import { staticParameters } from "./parameters";
import {
  budgetInForceError,
  type DeployedParameters,
  maxConnectionsNow,
  parametersInForce,
  pendingReboot,
} from "./pending-reboot";

export interface ParametersNow {
  readonly identifier: string;
  /** max_connections the login roles' budget (and the connections alarm) is held to on this run. */
  readonly maxConnections: number;
  /** The static parameters the server will not have after this up until it reboots. */
  readonly pending: readonly string[];
  /** The stack output serverParameters. */
  readonly record: DeployedParameters;
}

export async function parametersNow(
  config: PrecogConfig & { rds: NonNullable<PrecogConfig["rds"]> },
  deployed: pulumi.StackReference,
  read: ReadInstanceParameters,
): Promise<ParametersNow> {
  const identifier = instanceIdentifier(config.environment);
  const configuredMax = config.connections.serverMax;
  const configured = staticParameters(config.rds, configuredMax);
  const details = await deployed.getOutputDetails("serverParameters");
  const previous = (details.value ?? undefined) as DeployedParameters | undefined;
  // Asked on every run: a stack deployed before this record existed has an instance too.
  const observed = await read(identifier, Object.keys(configured)).catch((e: Error) => {
    throw new Error(
      `Stack "${config.stack}": RDS did not say which parameters the instance ${identifier} runs with (${e.message}). ` +
        "The program asks before it registers anything, to hold the connection budget to the max_connections in force: " +
        "the deploy and preview roles need rds:DescribeDBInstances and rds:DescribeDBParameters (docs/aws.md). Nothing was changed.",
    );
  });
  const state = parametersInForce(configured, observed, previous);
  const maxConnections = maxConnectionsNow(configuredMax, state);
  const needed = connectionsNeeded(config.connectionLimits, config.connections.reserved);
  if (maxConnections < configuredMax && needed > maxConnections)
    throw new Error(budgetInForceError(config.stack, identifier, configuredMax, maxConnections, needed));
  return {
    identifier,
    maxConnections,
    pending: pendingReboot(configured, state.inForce),
    record: { configured, inForce: state.inForce, maxConnectionsFloor: state.maxConnectionsFloor },
  };
}
