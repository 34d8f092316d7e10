/**
 * The whole Pulumi program as a function, in plain steps: guards and config first (nothing is
 * registered until they pass), then (aws stacks) the migration provider, then the environment
 * component (which makes a local stack's migration provider once its password exists), then the
 * outputs contract.
 */
import * as pulumi from "@pulumi/pulumi";
import { type PrecogConfig, parseConfig, serverKind } from "../src/config/parse";
import { readStackConfig } from "./config/read";
import { assertDatabaseUnchanged } from "./database/deployed-name";
import { checkEnvironment, confirmProd } from "./guards";
import { type MigrationsProviderFor, migrationsProvider } from "./migrations/resource";
import { type StackOutputs, stackOutputs } from "./outputs";
import { keepSecretsOutOfDebugLog } from "./startup/secret-free-debug-log";

type Vars = Readonly<Record<string, string | undefined>>;

/**
 * `projectDir`: the folder of Pulumi.yaml, which relative paths in config and migrations/ are in.
 * The two lazy imports are start-up tricks 5 and 6 of ./startup/prepare-program.ts, each kept for
 * its measured gain.
 */
export async function program(
  vars: Vars = process.env,
  opts?: pulumi.ComponentResourceOptions,
  projectDir = pulumi.runtime.getRootDirectory(),
): Promise<StackOutputs> {
  keepSecretsOutOfDebugLog();
  const { environment, config } = preflight(pulumi.getStack(), vars);
  const name = `precog-${environment}`;
  const providerOpts = { ...opts, protect: config.protect };
  const first = serverKind(config) === "aws" ? await registerMigrationsProviderFirst(name, providerOpts) : undefined;
  // Before anything named after the database is registered: a change of its name is refused.
  const [{ PrecogEnvironment }] = await Promise.all([
    import("./precog-environment"),
    assertDatabaseUnchanged(name, config.database),
  ]);
  const aws = serverKind(config) === "aws" ? await import("./aws-builders") : undefined;
  const provider: MigrationsProviderFor = (args) => first ?? migrationsProvider(name, args, providerOpts);
  const env = new PrecogEnvironment(name, { config, projectDir, aws, migrationsProvider: provider }, opts);
  return stackOutputs(config, env);
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
    const warning = confirmProd(environment, describeTarget(config), vars, pulumi.runtime.isDryRun());
    if (warning) pulumi.log.warn(warning);
    return { environment, config };
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}

function describeTarget(cfg: PrecogConfig): string {
  const where = cfg.local ? `${cfg.local.host}:${cfg.local.port}` : "RDS";
  return `database ${cfg.database} on ${serverKind(cfg)} server ${where}`;
}
