/**
 * parseConfig: a stack's `precog:*` values (as Pulumi hands them over: strings, JSON for the
 * structured keys) to one frozen, typed config object shaped like the stack file, or one error
 * that lists every problem with its key path and the stack. Pure: no I/O, no Pulumi runtime, so it
 * is tested table-driven with exact messages. Secret values never reach it; it learns only which
 * secrets are set.
 */
import { ENVIRONMENTS, isEnvironment } from "../env/environment";
import { type RoleNames, roleNamesOf } from "../env/roles";
import { checkOperations } from "./check-operations";
import { checkReplicas } from "./check-replicas";
import { checkRestore } from "./check-restore";
import type { Field } from "./fields";
import { Reader } from "./reader";
import { CONFIG_SCHEMA, type LocalConfig, NAMESPACE, type RdsConfig, type SecretKey, type StackConfig } from "./schema";

export type { LocalConfig, RdsConfig, RotationConfig } from "./schema";

/** What the program reads from Pulumi: the plain values, and the names of the secrets that are set. */
export interface RawConfig {
  /** Key (without the namespace) to value; never holds a secret. */
  readonly values: Readonly<Record<string, string>>;
  readonly secrets: readonly SecretKey[];
}

export interface ConnectionLimits {
  /** pool.max x pool.appInstances. */
  readonly app: number;
  readonly readonly: number;
  readonly migrator: number;
}

/** The server is the one group of the two that is set: precog:rds, else precog:local (defaults if unset). */
type ServerGroup =
  | { readonly local: LocalConfig; readonly rds?: undefined }
  | { readonly rds: RdsConfig; readonly local?: undefined };

export type PrecogConfig = Omit<StackConfig, "local" | "rds"> &
  ServerGroup & {
    readonly stack: string;
    /** Derived: the roles' names (all but the app's follow from the database name). */
    readonly roleNames: RoleNames;
    /** Derived: each login role's CONNECTION LIMIT. */
    readonly connectionLimits: ConnectionLimits;
  };

/** The stack's server kind, as the outputs name it. */
export function serverKind(cfg: PrecogConfig): "local" | "aws" {
  return cfg.rds ? "aws" : "local";
}

/** Parses a stack's config. Throws one Error listing every problem; never includes a secret's value in it. */
export function parseConfig(stack: string, raw: RawConfig): PrecogConfig {
  const r = new Reader();
  for (const key of Object.keys(raw.values)) {
    if (!(key in CONFIG_SCHEMA)) r.problem(key, "unknown key: remove it, or check its spelling against Pulumi.yaml");
  }
  const read: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries<Field>(CONFIG_SCHEMA)) {
    const value = r.field(key, spec, topLevelValue(spec, raw.values[key]));
    if (value !== undefined) read[key] = value;
  }
  const { local, rds, ...common } = read as StackConfig;
  const connectionLimits = {
    app: common.pool.max * common.pool.appInstances + common.roles.app.connectionHeadroom,
    readonly: common.roles.readonly.connectionLimit,
    migrator: common.roles.migrator.connectionLimit,
  };
  checkBudget(r, common, connectionLimits);
  const server = findServer(r, local, rds, raw.secrets, connectionLimits.app, common.connections.serverMax);
  if (server.rds?.restore) checkRestore(r, server.rds.restore, common.environment);
  if (server.rds) checkOperations(r, server.rds);
  if (server.rds) checkReplicas(r, server.rds);
  checkNames(r, common, server);

  if (r.problems.length > 0) {
    throw new Error(
      `Invalid configuration for stack "${stack}" (Pulumi.${stack}.yaml), ${r.problems.length} problem(s):\n` +
        r.problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
  const roleNames = roleNamesOf(common.database, common.roles.app.name);
  return deepFreeze({ ...common, ...server, stack, roleNames, connectionLimits } as PrecogConfig);
}

/**
 * A top-level value as the field reader takes it. Structured keys arrive as JSON. Pulumi.yaml gives
 * the optional groups the default `{}` (the CLI needs a default for a key that some stacks do not
 * set), so an empty optional group is an absent one.
 */
function topLevelValue(spec: Field, value: string | undefined): unknown {
  if (value === undefined || (spec.type !== "object" && spec.type !== "list")) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value;
  }
  const empty = typeof parsed === "object" && parsed !== null && Object.keys(parsed).length === 0;
  return spec.type === "object" && spec.optional && empty ? undefined : parsed;
}

/** The connections the login roles' limits and the reserved ones take: what max_connections must hold. */
export function connectionsNeeded(limits: ConnectionLimits, reserved: number): number {
  return limits.app + limits.readonly + limits.migrator + reserved;
}

function checkBudget(r: Reader, c: Omit<StackConfig, "local" | "rds">, l: ConnectionLimits): void {
  const { pool, connections } = c;
  if (pool.min > pool.max)
    r.problem("pool.min", `${pool.min} is above ${NAMESPACE}:pool.max (${pool.max}); lower pool.min or raise pool.max`);
  const needed = connectionsNeeded(l, connections.reserved);
  if ([needed, connections.serverMax].every(Number.isFinite) && needed > connections.serverMax) {
    r.problem(
      "pool.max",
      `the server's connection budget cannot hold it: pool.max ${pool.max} x pool.appInstances ${pool.appInstances} + roles.app.connectionHeadroom ${c.roles.app.connectionHeadroom} = ${l.app}, ` +
        `plus readonly ${l.readonly}, migrator ${l.migrator} and reserved ${connections.reserved}, is ${needed} > ${NAMESPACE}:connections.serverMax (${connections.serverMax}); ` +
        `lower pool.max, pool.appInstances or roles.app.connectionHeadroom, or raise connections.serverMax`,
    );
  }
}

/** Databases every PostgreSQL server (or RDS instance) has: never a stack's. */
export const RESERVED_DATABASES: readonly string[] = ["postgres", "template0", "template1", "rdsadmin"];

/** Role names a server keeps for itself: PostgreSQL's pg_ prefix, RDS's rds prefix, the bootstrap superuser. */
const RESERVED_ROLE = /^(pg_|rds)|^postgres$/;

/**
 * The database and the roles must be this environment's own: not a database every server has, not
 * a name that names another environment (precog_prod on the test stack would be taken for prod by
 * every guard, and shares a server's namespace with it), no two roles with one name, none a name
 * the server keeps or the admin's login.
 */
function checkNames(r: Reader, c: Omit<StackConfig, "local" | "rds">, server: ServerGroup): void {
  const { database, environment } = c;
  if (typeof database !== "string" || !isEnvironment(environment)) return;
  if (RESERVED_DATABASES.includes(database.toLowerCase()))
    r.problem(
      "database",
      `"${database}" is a database the server keeps for itself (${RESERVED_DATABASES.join(", ")}): name the environment's own, e.g. precog_${environment}`,
    );
  const other = namedEnvironments(database).filter((e) => e !== environment);
  if (other.length > 0)
    r.problem(
      "database",
      `"${database}" names the ${other.join(" and ")} environment, not ${environment}: every guard would take it for ${other[0]}'s; name ${environment}'s own, e.g. precog_${environment}`,
    );
  const app = c.roles?.app?.name;
  if (typeof app !== "string") return;
  const names = roleNamesOf(database, app);
  const otherApp = namedEnvironments(app).filter((e) => e !== environment);
  if (otherApp.length > 0)
    r.problem(
      "roles.app.name",
      `"${app}" names the ${otherApp.join(" and ")} environment, not ${environment}: name ${environment}'s own, e.g. precog_${environment}_user`,
    );
  const admin = server.local?.adminUser;
  for (const [role, name] of Object.entries(names)) {
    const same = Object.entries(names).filter(([other, n]) => other !== role && n === name);
    if (role === "app" && same.length > 0)
      r.problem(
        "roles.app.name",
        `"${name}" is also the ${same.map(([o]) => o).join(", ")} role's name (<database>_${same[0][0] === "databaseOwner" ? "dbowner" : same[0][0]}): each role needs its own; pick another`,
      );
    if (RESERVED_ROLE.test(name))
      r.problem(
        role === "app" ? "roles.app.name" : "database",
        `the ${role} role would be "${name}", a name the server keeps for itself (pg_*, rds*, postgres): pick another`,
      );
    if (admin !== undefined && name === admin)
      r.problem(
        role === "app" ? "roles.app.name" : "database",
        `the ${role} role would be "${name}", the admin's own login: pick another`,
      );
  }
}

/** The environments a name names: each one it contains as a word (dev), or anywhere (test, staging, prod). */
function namedEnvironments(name: string): string[] {
  const lower = name.toLowerCase();
  const words = lower.split(/[^a-z0-9]+/);
  return ENVIRONMENTS.filter((e) => (e === "dev" ? words.includes(e) : lower.includes(e)));
}

/** The server group, checked: rds when set (then not local too), else local with its defaults. */
function findServer(
  r: Reader,
  local: LocalConfig | undefined,
  rds: RdsConfig | undefined,
  secrets: readonly SecretKey[],
  appLimit: number,
  serverMax: number,
): ServerGroup {
  if (rds) {
    if (local)
      r.problem(
        "local",
        `a stack has one server and ${NAMESPACE}:rds is set too: remove ${NAMESPACE}:local, or ${NAMESPACE}:rds for a local server`,
      );
    checkRds(r, rds, appLimit, serverMax);
    return { rds };
  }
  const withDefaults = local ?? (r.group("local", CONFIG_SCHEMA.local, {}) as LocalConfig);
  checkAdminPassword(r, withDefaults, secrets);
  return { local: withDefaults };
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];

/** The CA whose roots the committed bundle (precog:rds.caBundleFile's default) holds. */
const COMMITTED_CA = CONFIG_SCHEMA.rds.fields.caCertIdentifier.default;

function checkRds(r: Reader, rds: RdsConfig, appLimit: number, serverMax: number): void {
  const major = /^(\d+)(\.\d+)?$/.exec(rds.engineVersion)?.[1];
  if (major && rds.parameterGroupFamily !== `postgres${major}`)
    r.problem(
      "rds.parameterGroupFamily",
      `"${rds.parameterGroupFamily}" does not match ${NAMESPACE}:rds.engineVersion "${rds.engineVersion}"; set it to "postgres${major}" ` +
        `(a major upgrade changes both together: docs/stacks.md, "A major version upgrade")`,
    );
  else if (!major && rds.engineVersion !== "")
    r.problem("rds.engineVersion", `"${rds.engineVersion}" is not a major or major.minor version, e.g. "16"`);
  const pi = rds.performanceInsightsRetentionDays;
  if (Number.isInteger(pi) && pi !== 0 && pi !== 7 && pi !== 731 && pi % 31 !== 0)
    r.problem("rds.performanceInsightsRetentionDays", `${pi} is not 0, 7, 731 or a multiple of 31`);
  if (Number.isInteger(rds.monitoringIntervalSeconds) && !MONITORING_INTERVALS.includes(rds.monitoringIntervalSeconds))
    r.problem(
      "rds.monitoringIntervalSeconds",
      `${rds.monitoringIntervalSeconds} is not one of ${MONITORING_INTERVALS.join(", ")}`,
    );
  if (rds.proxy) {
    const proxyMax = Math.floor((serverMax * rds.proxy.maxConnectionsPercent) / 100);
    if (proxyMax > appLimit)
      r.problem(
        "rds.proxy.maxConnectionsPercent",
        `${rds.proxy.maxConnectionsPercent}% of ${NAMESPACE}:connections.serverMax (${serverMax}) is ${proxyMax} connections, more than the app role's CONNECTION LIMIT (${appLimit}) ` +
          `the proxy logs in under; lower it to at most ${Math.floor((appLimit * 100) / serverMax)}`,
      );
  }
  if (Number.isInteger(rds.logRetentionDays) && !LOG_RETENTION_DAYS.includes(rds.logRetentionDays))
    r.problem(
      "rds.logRetentionDays",
      `${rds.logRetentionDays} is not a retention CloudWatch accepts; use one of ${LOG_RETENTION_DAYS.join(", ")}`,
    );
  if (rds.caCertIdentifier !== COMMITTED_CA && rds.caBundleFile === CONFIG_SCHEMA.rds.fields.caBundleFile.default)
    r.problem(
      "rds.caBundleFile",
      `the committed bundle holds the ${COMMITTED_CA} roots only, and ${NAMESPACE}:rds.caCertIdentifier is "${rds.caCertIdentifier}": ` +
        `set ${NAMESPACE}:rds.caBundleFile to a PEM file of that CA's roots (AWS publishes one per CA and a global bundle), or pin ${COMMITTED_CA}`,
    );
  if (rds.subnetIds.length === 1)
    r.problem("rds.subnetIds", "RDS needs subnets in at least two availability zones; list two or more");
  if (rds.maxAllocatedStorage !== undefined && rds.maxAllocatedStorage < rds.allocatedStorage) {
    r.problem(
      "rds.maxAllocatedStorage",
      `${rds.maxAllocatedStorage} is below ${NAMESPACE}:rds.allocatedStorage (${rds.allocatedStorage}); raise it, or remove it to turn autoscaling off`,
    );
  }
}

function checkAdminPassword(r: Reader, local: LocalConfig, secrets: readonly SecretKey[]): void {
  if (!secrets.includes("adminPassword") && local.adminPasswordFile === "") {
    r.problem(
      "adminPassword",
      `missing secret: set it with \`pulumi config set --secret ${NAMESPACE}:adminPassword\` or set ${NAMESPACE}:local.adminPasswordFile`,
    );
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
