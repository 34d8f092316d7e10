/**
 * The whole Pulumi program as a function, in plain steps: guards and config first (nothing is
 * registered until they pass), then (aws stacks) the migration provider, then the environment
 * component (which makes a local stack's migration provider once its password exists), then the
 * outputs contract.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkBackupReplicationRegion, checkReplicaRegion } from "../src/config/check-replicas";
import { type PrecogConfig, parseConfig, serverKind } from "../src/config/parse";
import { readStackConfig } from "./config/read";
import { assertDatabaseUnchanged, deployedOutputs } from "./database/deployed-name";
import { checkEnvironment, confirmProd } from "./guards";
import { type MigrationsProviderFor, migrationsProvider } from "./migrations/resource";
import { type StackOutputs, stackOutputs } from "./outputs";
import type { ReadInstanceParameters } from "./server/instance-parameters";
import type { ParametersNow } from "./server/parameters-now";
import { keepSecretsOutOfDebugLog } from "./startup/secret-free-debug-log";

type Vars = Readonly<Record<string, string | undefined>>;

/** What the program asks AWS before it registers anything; tests hand in a stand-in. */
export interface ProgramReads {
  /** The instance's parameter group status and values (./server/instance-parameters.ts); default: the RDS API. */
  readonly instanceParameters?: ReadInstanceParameters;
}

/**
 * `projectDir`: the folder of Pulumi.yaml, which relative paths in config and migrations/ are in.
 * The two lazy imports are start-up tricks 5 and 6 of ./startup/prepare-program.ts, each kept for
 * its measured gain.
 */
export async function program(
  vars: Vars = process.env,
  opts?: pulumi.ComponentResourceOptions,
  projectDir = pulumi.runtime.getRootDirectory(),
  reads: ProgramReads = {},
): Promise<StackOutputs> {
  keepSecretsOutOfDebugLog();
  const { environment, config } = preflight(pulumi.getStack(), vars);
  const name = `precog-${environment}`;
  const providerOpts = { ...opts, protect: config.protect };
  const first = serverKind(config) === "aws" ? await registerMigrationsProviderFirst(name, providerOpts) : undefined;
  // Before anything named after the database is registered: a change of its name is refused.
  const deployed = deployedOutputs(name);
  const [{ PrecogEnvironment }] = await Promise.all([
    import("./precog-environment"),
    assertDatabaseUnchanged(name, config.database, deployed),
  ]);
  const aws = serverKind(config) === "aws" ? await import("./aws-builders") : undefined;
  const parameters = aws ? await parametersInForce(config, deployed, aws.awsRegion(), reads) : undefined;
  const provider: MigrationsProviderFor = (args) => first ?? migrationsProvider(name, args, providerOpts);
  const env = new PrecogEnvironment(
    name,
    { config, projectDir, aws, migrationsProvider: provider, maxConnectionsInForce: parameters?.maxConnections },
    opts,
  );
  if (parameters && env.rds) reportPendingReboot(parameters, env.rds.instance.arn);
  return stackOutputs(config, env, parameters);
}

/** An aws stack's static parameters in force, and the budget held to them (./server/parameters-now.ts); its refusal is a RunError. */
async function parametersInForce(
  config: PrecogConfig,
  deployed: pulumi.StackReference,
  region: string,
  reads: ProgramReads,
): Promise<ParametersNow> {
  const [{ parametersNow }, { rdsInstanceParameters }] = await Promise.all([
    import("./server/parameters-now"),
    import("./server/instance-parameters"),
  ]);
  try {
    return await parametersNow(
      config as Parameters<typeof parametersNow>[0],
      deployed,
      reads.instanceParameters ?? rdsInstanceParameters(region),
    );
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}

/** The warning at the end of the up (once the instance is updated) naming what waits for a reboot, and the command. */
function reportPendingReboot(parameters: ParametersNow, after: pulumi.Output<string>): void {
  if (parameters.pending.length === 0) return;
  after.apply(async () => {
    const { pendingRebootWarning } = await import("./server/pending-reboot");
    pulumi.log.warn(
      pendingRebootWarning(parameters.pending, parameters.rebootOrder, parameters.raise, pulumi.runtime.isDryRun()),
    );
  });
}

/**
 * An aws stack's migration provider (no config), registered before the rest of the program loads,
 * so that the engine starts its plugin while it waits for the program (./migrations/resource.ts);
 * the wait for the next turn of the event loop lets the registration go out first.
 */
async function registerMigrationsProviderFirst(name: string, opts: pulumi.ResourceOptions) {
  const provider = migrationsProvider(name, {}, opts);
  await new Promise((resolve) => setImmediate(resolve));
  return provider;
}

/**
 * Guards and config, before anything is registered. Their errors are RunErrors: the engine prints
 * the message alone, without a stack trace, since the message already says what to do.
 */
export function preflight(stack: string, vars: Vars) {
  try {
    const raw = readStackConfig();
    const environment = checkEnvironment(stack, raw.values.environment, vars);
    const config = parseConfig(stack, raw);
    const region = stackRegion(vars);
    checkReplicaRegion(stack, config.rds, region);
    checkBackupReplicationRegion(stack, config.rds, region);
    const warning = confirmProd(environment, describeTarget(config), vars, pulumi.runtime.isDryRun());
    if (warning) pulumi.log.warn(warning);
    return { environment, config };
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}

/** The region the aws provider deploys to: aws:region, else the SDK's variables, as the provider reads them. */
function stackRegion(vars: Vars): string | undefined {
  return new pulumi.Config("aws").get("region") || vars.AWS_REGION || vars.AWS_DEFAULT_REGION || undefined;
}

function describeTarget(cfg: PrecogConfig): string {
  const where = cfg.local ? `${cfg.local.host}:${cfg.local.port}` : "RDS";
  return `database ${cfg.database} on ${serverKind(cfg)} server ${where}`;
}
