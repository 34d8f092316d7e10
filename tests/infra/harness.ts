/**
 * Runs the real Pulumi program (infra/program.ts) under Pulumi's mocks with a committed stack
 * file's config, applied the way the CLI applies it (Pulumi.yaml defaults, then the stack's
 * values). Records every resource with its inputs and options, and every invoke. AWS cannot exist
 * here, so its resources get fake ids; every other behaviour is the program's own.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { StackOutputs } from "../../infra/outputs";
import { program } from "../../infra/program";
import type { ReadInstanceParameters } from "../../infra/server/instance-parameters";
import { migrationFiles, summaryOf } from "../../src/migrate";
import { applyOverrides, type ConfigOverrides } from "../../testbed/config-overrides";

export const ROOT = resolve(__dirname, "../..");
/** The committed RDS CA bundle (precog:rds.caBundleFile's default), as the program resolves it. */
export const RDS_CA_BUNDLE = resolve(ROOT, "config/rds-ca/rds-ca-rsa2048-g1.pem");
export const STACKS = ["dev", "test", "staging", "prod"] as const;
export type Stack = (typeof STACKS)[number];

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
}

export interface Invoke {
  token: string;
  inputs: Record<string, any>;
}

/**
 * The account an aws stack deploys to (its one aws:allowedAccountIds entry), which the mocks put in
 * every ARN they hand back for that stack, as AWS would; 111111111111 where the stack names none.
 */
export function accountOf(stack: string, overrides: ConfigOverrides = {}): string {
  const ids = stackConfig(stack, overrides)["aws:allowedAccountIds"];
  const first = ids ? (JSON.parse(ids) as unknown[])[0] : undefined;
  return first === undefined ? "111111111111" : String(first);
}

export const MASTER_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!db-0000-master";
export const MASTER_PASSWORD = "master-password-from-rds";
/** The VPC every subnet of the committed stacks is in, as the EC2 API would answer. */
export const SUBNET_VPC = "vpc-0000precog0000001";
/** What a role's Secrets Manager secret holds now (after a rotation, not what Pulumi generated). */
export const ROTATED_PASSWORD = "password-in-secrets-manager";

/**
 * The `ns:key` -> string config the CLI hands a program for `stack` (structured values as JSON):
 * the stack file with `overrides` applied (see ConfigOverrides), then Pulumi.yaml's defaults for
 * the keys still unset.
 */
export function stackConfig(stack: string, overrides: ConfigOverrides = {}): Record<string, string> {
  const project = parse(readFileSync(resolve(ROOT, "Pulumi.yaml"), "utf8"));
  const stackFile = parse(readFileSync(resolve(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  const values = applyOverrides(stackFile.config ?? {}, overrides);
  for (const [k, spec] of Object.entries<any>(project.config ?? {})) {
    if (spec && typeof spec === "object" && "default" in spec) values[`${project.name}:${k}`] ??= spec.default;
  }
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export interface RunOptions {
  /** Config values on top of the stack file's (keys or `--path` style paths); undefined removes one. */
  config?: ConfigOverrides;
  secretKeys?: string[];
  /** Process environment seen by the program (PRECOG_ENV, PRECOG_PROD_CONFIRMED, USER). */
  vars?: Record<string, string>;
  /** Receives every registered resource, also when the program throws. */
  sink?: Recorded[];
  /**
   * Outputs of the stacks StackReferences read, by fully qualified name. Default: every other stack
   * has applied every committed migration, and the stack itself none yet.
   */
  stackOutputs?: Record<string, Record<string, unknown>>;
  /**
   * Hand every resource's `arn` (and the instance's `masterUserSecrets`) back as a secret, as the
   * engine does for a value derived from a secret input.
   */
  secretArns?: boolean;
  /** What a role secret holds now, by secret ARN. Default: currentSecretValue (a rotated password). */
  secretValues?: (secretId: string) => Record<string, unknown>;
  /** Run as `pulumi preview` does (pulumi.runtime.isDryRun() true). Default: an update. */
  preview?: boolean;
  /**
   * What the RDS API says of the instance's parameters (infra/server/instance-parameters.ts), by
   * identifier; undefined: no such instance, as before a first deployment. Every call is recorded.
   */
  instanceParameters?: ReadInstanceParameters;
}

/** What a role secret of `stack` holds after a rotation: the instance's address, a rotated password. */
export function currentSecretValue(stack: string): Record<string, unknown> {
  return {
    engine: "postgres",
    host: `precog-${stack}-server-instance.abc123.us-east-1.rds.amazonaws.com`,
    port: 5432,
    password: ROTATED_PASSWORD,
  };
}

export interface Run {
  resources: Recorded[];
  invokes: Invoke[];
  outputs: StackOutputs;
  /** Resolved output values. */
  values: Record<string, any>;
  byName(name: string): Recorded;
  ofType(type: string): Recorded[];
}

function fakeState(
  type: string,
  name: string,
  inputs: Record<string, any>,
  stackOutputs: Record<string, Record<string, unknown>>,
  account: string,
): Record<string, any> {
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `pw-${name}-plaintext` };
    case "aws:rds/instance:Instance":
      return {
        ...inputs,
        address: `${name}.abc123.us-east-1.rds.amazonaws.com`,
        port: 5432,
        identifier: inputs.identifier ?? `${name}-id`,
        arn: `arn:aws:rds:us-east-1:${account}:db:${inputs.identifier ?? `${name}-id`}`,
        masterUserSecrets: [{ secretArn: MASTER_SECRET_ARN, secretStatus: "active", kmsKeyId: "" }],
        resourceId: dbiResourceId(name),
      };
    case "aws:secretsmanager/secret:Secret":
      return { ...inputs, arn: `arn:aws:secretsmanager:us-east-1:${account}:secret:${inputs.name}` };
    case "aws:rds/proxy:Proxy":
      return { ...inputs, endpoint: `${inputs.name}.proxy-abc123.us-east-1.rds.amazonaws.com` };
    case "random:index/randomId:RandomId":
      return { ...inputs, hex: "0a1b2c3d" };
    case "aws:kms/key:Key":
      // In its own region when it names one (a key for the backups' second copy).
      return {
        ...inputs,
        arn: `arn:aws:kms:${inputs.region ?? "us-east-1"}:${account}:key/${name}`,
        keyId: `${name}-key-id`,
      };
    case "aws:iam/role:Role":
      return { ...inputs, arn: `arn:aws:iam::${account}:role/${name}` };
    case "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
      return {
        ...inputs,
        outputs: {
          RotationLambdaARN: `arn:aws:lambda:us-east-1:${account}:function:${inputs.parameters.functionName}`,
        },
      };
    case "aws:sns/topic:Topic":
      return { ...inputs, arn: `arn:aws:sns:${inputs.region ?? "us-east-1"}:${account}:${inputs.name}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return { ...inputs, arn: `arn:aws:events:us-east-1:${account}:rule/${inputs.name}` };
    case "precog-migrations:index:Migrations":
      // As the provider's create leaves a new database: nothing applied yet.
      return { ...inputs, applied: summaryOf([]), schemaVersion: null, lastBackup: null };
    case "pulumi:pulumi:StackReference":
      return { ...inputs, outputs: stackOutputs[inputs.name] ?? {}, secretOutputNames: [] };
    default:
      return { name, ...inputs };
  }
}

/** The DbiResourceId the mocks give an instance (the id its dbuser ARNs name), as RDS would: `db-` and 26 characters. */
export function dbiResourceId(instanceName: string): string {
  const letters = instanceName.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return `db-${letters.padEnd(26, "0").slice(0, 26)}`;
}

/** The summary of a ledger with every committed migration applied, as a stack's `migrations` output has it. */
export async function committedSummary() {
  return summaryOf(await migrationFiles(resolve(ROOT, "migrations")));
}

async function defaultStackOutputs(stack: string): Promise<Record<string, Record<string, unknown>>> {
  const migrations = await committedSummary();
  return Object.fromEntries(STACKS.filter((s) => s !== stack).map((s) => [`organization/precog/${s}`, { migrations }]));
}

/** Runs the program for `stack` under mocks and waits until every resource is registered. */
export async function runStack(stack: Stack | string, options: RunOptions = {}): Promise<Run> {
  const stackOutputs = options.stackOutputs ?? (await defaultStackOutputs(stack));
  const resources: Recorded[] = options.sink ?? [];
  const invokes: Invoke[] = [];
  const constructed: string[] = [];
  const account = accountOf(stack, options.config);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, opts: {} });
        const state = fakeState(args.type, args.name, args.inputs, stackOutputs, account);
        if (options.secretArns)
          for (const k of ["arn", "masterUserSecrets"]) if (k in state) state[k] = pulumi.secret(state[k]);
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args) {
        invokes.push({ token: args.token, inputs: args.inputs });
        if (
          args.token === "aws:secretsmanager/getSecretVersion:getSecretVersion" &&
          args.inputs.secretId === MASTER_SECRET_ARN
        ) {
          return {
            arn: MASTER_SECRET_ARN,
            secretString: JSON.stringify({ username: "precog_admin", password: MASTER_PASSWORD }),
          };
        }
        if (
          args.token === "aws:secretsmanager/getSecretVersion:getSecretVersion" &&
          String(args.inputs.secretId).includes(":secret:precog/")
        ) {
          const value = options.secretValues?.(args.inputs.secretId) ?? currentSecretValue(stack);
          return { arn: args.inputs.secretId, secretString: JSON.stringify(value) };
        }
        if (args.token === "aws:ec2/getSubnet:getSubnet") return { id: args.inputs.id, vpcId: SUBNET_VPC };
        if (args.token === "aws:index/getRegion:getRegion") return { name: "us-east-1", id: "us-east-1" };
        throw new Error(`unexpected invoke ${args.token} ${JSON.stringify(args.inputs)}`);
      },
    },
    "precog",
    stack,
    options.preview ?? false,
    "organization",
  );
  pulumi.runtime.setAllConfig(stackConfig(stack, options.config), options.secretKeys ?? []);

  const optsByName = new Map<string, Recorded["opts"]>();
  const capture: pulumi.ResourceTransformation = (a) => {
    constructed.push(a.name);
    optsByName.set(a.name, a.opts);
    return undefined;
  };
  const outputs = await program(options.vars ?? {}, { transformations: [capture] }, ROOT, {
    instanceParameters: options.instanceParameters ?? (async () => undefined),
  });
  const values = await resolveDeep(outputs);
  for (let i = 0; i < 500 && !constructed.every((n) => resources.some((r) => r.name === n)); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const r of resources) r.opts = optsByName.get(r.name) ?? {};
  const byName = (name: string) => {
    const hit = resources.find((r) => r.name === name);
    if (!hit) throw new Error(`no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
    return hit;
  };
  return { resources, invokes, outputs, values, byName, ofType: (t) => resources.filter((r) => r.type === t) };
}

/** Resolves every Output inside a plain structure. */
export function resolveDeep(value: unknown): Promise<any> {
  return new Promise((ok) => pulumi.output(value as any).apply((v) => ok(v)));
}

/** Pulumi's wire marker for a secret value, as mocks receive it in resource inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

/** The value of a resource input that must have been sent as a secret; throws if it was plain. */
export function secretInput(value: unknown): any {
  const v = value as Record<string, unknown> | undefined;
  if (!v || typeof v !== "object" || v[SECRET_SIG] !== SECRET_MARK) {
    throw new Error(`expected a secret input, got a plain ${typeof value}`);
  }
  return v.value;
}

/** Whether an Output (or plain value) is marked secret. */
export function isSecret(value: unknown): Promise<boolean> {
  return pulumi.isSecret(pulumi.output(value as any));
}
