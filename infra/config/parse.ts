/**
 * parseConfig: raw `precog:*` values (strings, as Pulumi hands them over) to one frozen, typed
 * config object, or one error that lists every problem with its key and stack. Pure: no I/O, no
 * Pulumi runtime, so it is tested table-driven with exact messages.
 */
import { type Environment, isEnvironment } from "../../src/env/environment";
import { CONFIG_KEYS, type ConfigKey, type KeySpec, NAMESPACE } from "./keys";

export interface ConnectionLimits {
  /** poolMax x appInstances. */
  readonly app: number;
  readonly readonly: number;
  readonly owner: number;
}

export interface LocalServer {
  readonly kind: "local";
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  /** True when precog:adminPassword is set; the value itself is read as a secret elsewhere. */
  readonly hasAdminPassword: boolean;
  readonly adminPasswordFile: string;
  readonly sslMode: string;
}

export interface AwsServer {
  readonly kind: "aws";
  readonly instanceClass: string;
  readonly allocatedStorage: number;
  readonly maxAllocatedStorage: number;
  readonly engineVersion: string;
  readonly parameterGroupFamily: string;
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly finalSnapshot: boolean;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly pgaudit: boolean;
  readonly rotationDays: number;
  readonly rotationLambdaArn: string;
  readonly proxy: boolean;
  readonly proxyMaxConnectionsPercent: number;
  readonly adminHost: string;
}

export interface PrecogConfig {
  readonly stack: string;
  readonly environment: Environment;
  readonly database: string;
  readonly roles: { readonly owner: string; readonly app: string; readonly readonly: string };
  readonly pool: { readonly min: number; readonly max: number };
  readonly appInstances: number;
  readonly connectionLimits: ConnectionLimits;
  readonly serverMaxConnections: number;
  readonly reservedConnections: number;
  readonly protect: boolean;
  readonly server: LocalServer | AwsServer;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The value Pulumi.yaml declares for a key that is required only for one server kind: the CLI
 * insists on a default for every key that not all stacks set, so "" / 0 / [] there mean "not set".
 */
export function unsetMarker(spec: KeySpec): string | number | readonly string[] {
  return spec.type === "integer" ? 0 : spec.type === "array" ? [] : "";
}

function isUnsetMarker(spec: KeySpec, v: string): boolean {
  return v === "" || v === JSON.stringify(unsetMarker(spec));
}

/** Collects problems while reading values, so every one of them is reported at once. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Readonly<Record<string, string>>) {}

  problem(key: ConfigKey | string, message: string): void {
    this.problems.push(`${NAMESPACE}:${key}: ${message}`);
  }

  private value(key: ConfigKey): string | undefined {
    const v = this.raw[key];
    const spec: KeySpec = CONFIG_KEYS[key];
    if (v !== undefined && !(spec.default === undefined && isUnsetMarker(spec, v))) return v;
    if (spec.default === undefined) {
      this.problem(key, `missing: set it with \`pulumi config set ${spec.secret ? "--secret " : ""}${NAMESPACE}:${key} <value>\``);
      return undefined;
    }
    return typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
  }

  string(key: ConfigKey): string {
    return this.value(key) ?? "";
  }

  identifier(key: ConfigKey): string {
    const v = this.value(key);
    if (v !== undefined && !IDENTIFIER.test(v)) {
      this.problem(key, `"${v}" is not a plain PostgreSQL identifier (lower-case letters, digits and _, at most 63)`);
    }
    return v ?? "";
  }

  integer(key: ConfigKey, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value(key);
    if (v === undefined) return NaN;
    if (!/^-?\d+$/.test(v.trim())) {
      this.problem(key, `"${v}" is not a whole number`);
      return NaN;
    }
    const n = Number(v);
    if (n < min || n > max) {
      this.problem(key, max === Number.MAX_SAFE_INTEGER ? `${n} is below the minimum of ${min}` : `${n} is outside ${min}..${max}`);
    }
    return n;
  }

  boolean(key: ConfigKey): boolean {
    const v = this.value(key);
    if (v === undefined) return false;
    if (v !== "true" && v !== "false") this.problem(key, `"${v}" is not true or false`);
    return v === "true";
  }

  list(key: ConfigKey): string[] {
    const v = this.value(key);
    if (v === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
    } catch {
      // reported below
    }
    this.problem(key, `must be a list of strings (e.g. \`pulumi config set --path '${NAMESPACE}:${key}[0]' <value>\`)`);
    return [];
  }
}

function readLocal(r: Reader, raw: Readonly<Record<string, string>>): LocalServer {
  const hasAdminPassword = (raw.adminPassword ?? "") !== "";
  const adminPasswordFile = r.string("adminPasswordFile");
  if (!hasAdminPassword && adminPasswordFile === "") {
    r.problem("adminPassword", `missing secret: set it with \`pulumi config set --secret ${NAMESPACE}:adminPassword\` or set ${NAMESPACE}:adminPasswordFile`);
  }
  return {
    kind: "local",
    host: r.string("host"),
    port: r.integer("port", 1, 65535),
    adminUser: r.identifier("adminUser"),
    hasAdminPassword,
    adminPasswordFile,
    sslMode: r.string("sslMode"),
  };
}

function readAws(r: Reader): AwsServer {
  const server: AwsServer = {
    kind: "aws",
    instanceClass: r.string("instanceClass"),
    allocatedStorage: r.integer("allocatedStorage", 20, 65536),
    maxAllocatedStorage: r.integer("maxAllocatedStorage", 0, 65536),
    engineVersion: r.string("engineVersion"),
    parameterGroupFamily: r.string("parameterGroupFamily"),
    multiAz: r.boolean("multiAz"),
    backupRetentionDays: r.integer("backupRetentionDays", 1, 35),
    deletionProtection: r.boolean("deletionProtection"),
    finalSnapshot: r.boolean("finalSnapshot"),
    subnetIds: r.list("subnetIds"),
    securityGroupIds: r.list("securityGroupIds"),
    pgaudit: r.boolean("pgaudit"),
    rotationDays: r.integer("rotationDays", 0, 365),
    rotationLambdaArn: r.string("rotationLambdaArn"),
    proxy: r.boolean("proxy"),
    proxyMaxConnectionsPercent: r.integer("proxyMaxConnectionsPercent", 1, 100),
    adminHost: r.string("adminHost"),
  };
  if (server.subnetIds.length === 1) r.problem("subnetIds", "RDS needs subnets in at least two availability zones; list two or more");
  if (server.maxAllocatedStorage !== 0 && server.maxAllocatedStorage < server.allocatedStorage) {
    r.problem("maxAllocatedStorage", `${server.maxAllocatedStorage} is below ${NAMESPACE}:allocatedStorage (${server.allocatedStorage}); raise it or set 0`);
  }
  if (server.rotationDays > 0 && server.rotationLambdaArn === "") {
    r.problem("rotationLambdaArn", `missing: ${NAMESPACE}:rotationDays is ${server.rotationDays}, so rotation needs the rotation function's ARN (or set rotationDays to 0)`);
  }
  return server;
}

function checkBudget(r: Reader, c: Omit<PrecogConfig, "stack" | "server" | "environment">): void {
  const { pool, appInstances, connectionLimits: l, serverMaxConnections: budget, reservedConnections: reserved } = c;
  if (pool.min > pool.max) r.problem("poolMin", `${pool.min} is above ${NAMESPACE}:poolMax (${pool.max}); lower poolMin or raise poolMax`);
  const needed = l.app + l.readonly + l.owner + reserved;
  if ([needed, budget].every(Number.isFinite) && needed > budget) {
    r.problem(
      "poolMax",
      `the server's connection budget cannot hold it: poolMax ${pool.max} x appInstances ${appInstances} = ${l.app}, ` +
        `plus readonly ${l.readonly}, owner ${l.owner} and reserved ${reserved}, is ${needed} > ${NAMESPACE}:serverMaxConnections (${budget}); ` +
        `lower poolMax or appInstances, or raise serverMaxConnections`,
    );
  }
}

/**
 * Parses a stack's `precog:*` config. `raw` maps keys without the namespace to their string values.
 * Throws one Error listing every problem; never includes a secret's value in it.
 */
export function parseConfig(stack: string, raw: Readonly<Record<string, string>>): PrecogConfig {
  const r = new Reader(raw);
  for (const key of Object.keys(raw)) {
    if (!(key in CONFIG_KEYS)) r.problem(key, "unknown key: remove it, or check its spelling against Pulumi.yaml");
  }
  const envValue = r.string("environment");
  if (envValue !== "" && !isEnvironment(envValue)) r.problem("environment", `"${envValue}" is not one of dev, test, staging, prod`);
  const serverKind = r.string("server");
  if (serverKind !== "" && serverKind !== "local" && serverKind !== "aws") r.problem("server", `"${serverKind}" is not local or aws`);

  const database = r.identifier("database");
  const pool = { min: r.integer("poolMin", 0), max: r.integer("poolMax", 1) };
  const appInstances = r.integer("appInstances", 1);
  const common = {
    database,
    roles: { owner: `${database}_owner`, app: r.identifier("appRole"), readonly: `${database}_readonly` },
    pool,
    appInstances,
    connectionLimits: {
      app: pool.max * appInstances,
      readonly: r.integer("readonlyConnectionLimit", 1),
      owner: r.integer("ownerConnectionLimit", 1),
    },
    serverMaxConnections: r.integer("serverMaxConnections", 1),
    reservedConnections: r.integer("reservedConnections", 0),
    protect: r.boolean("protect"),
  };
  checkBudget(r, common);
  const server = serverKind === "aws" ? readAws(r) : readLocal(r, raw);

  if (r.problems.length > 0) {
    throw new Error(
      `Invalid configuration for stack "${stack}" (Pulumi.${stack}.yaml), ${r.problems.length} problem(s):\n` +
        r.problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
  return deepFreeze({ stack, environment: envValue as Environment, ...common, server });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
