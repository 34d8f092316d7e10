/**
 * The policy pack's view of a stack: every resource with its type, Pulumi name, plain property
 * values, which property paths were secret, its protection and what it depends on. The rules read
 * only this, so the same rule functions run in the pack (from the engine's resources) and in the
 * unit tests (from the mock harness's records). What an environment is (strict or not) comes from
 * the one table of environments (src/env/environment.ts), and which role is which from the one home
 * of the roles' naming convention (src/env/roles.ts).
 */
import { ENVIRONMENT_TRAITS, isEnvironment } from "../src/env/environment";
import { MIGRATIONS_TYPE } from "../src/env/migration-resource";
import { OWNING_ROLES, roleNamesOf } from "../src/env/roles";

export type Level = "mandatory" | "advisory";

export interface StackResource {
  readonly type: string;
  readonly name: string;
  /** Property values with secrets unwrapped; read secretness from `secretPaths`. */
  readonly props: Readonly<Record<string, unknown>>;
  /** Paths (`a.b[0].c`) of the values that were secrets; everything below such a path is secret too. */
  readonly secretPaths: readonly string[];
  readonly protect: boolean;
  /** Pulumi names of the resources this one depends on, directly (dependsOn and inputs). */
  readonly dependencies: readonly string[];
}

export interface Context {
  /** The stack's environment: its precog:environment, as the program names its resources (pack.ts). */
  readonly environment: string;
  /** The least `backupRetentionPeriod` an RDS instance may have, in days (policy config, default 7). */
  readonly minimumBackupRetentionDays: number;
}

export interface Violation {
  /** The Pulumi name of the offending resource. */
  readonly resource: string;
  readonly message: string;
}

export interface Rule {
  /** The policy's name, as the engine prints it. */
  readonly name: string;
  readonly description: string;
  /**
   * "resource": checked on each resource as it is registered (before it is created);
   * "stack": checked on the whole stack at the end of a preview or update.
   */
  readonly scope: "resource" | "stack";
  /** How a violation is enforced on an environment. */
  level(environment: string): Level;
  check(resources: readonly StackResource[], context: Context): Violation[];
}

export const TYPES = {
  role: "postgresql:index/role:Role",
  database: "postgresql:index/database:Database",
  grant: "postgresql:index/grant:Grant",
  grantRole: "postgresql:index/grantRole:GrantRole",
  postgresqlProvider: "pulumi:providers:postgresql",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  password: "random:index/randomPassword:RandomPassword",
  rdsInstance: "aws:rds/instance:Instance",
  parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  secret: "aws:secretsmanager/secret:Secret",
  secretRotation: "aws:secretsmanager/secretRotation:SecretRotation",
  kmsKey: "aws:kms/key:Key",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  rdsProxy: "aws:rds/proxy:Proxy",
  backupReplication: "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  sarStack: "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
  migrations: MIGRATIONS_TYPE,
  stack: "pulumi:pulumi:Stack",
  environment: "precog:environment:PrecogEnvironment",
} as const;

/** `urn:pulumi:<stack>::<project>::<type>::<name>` */
function stackOf(urn: string): string {
  return urn.split("::")[0].replace(/^urn:pulumi:/, "");
}

/**
 * The environment a resource belongs to: its stack's `precog:environment`, which the program writes
 * into every resource's name (`precog-<environment>…`, infra/program.ts), so a stack `prod-eu` set
 * to prod is prod. A resource the program did not name (the root stack, a default provider) falls
 * back to the stack's name.
 */
export function environmentOf(name: string, urn: string): string {
  const match = /^precog-([a-z]+)(?:-|$)/.exec(name);
  return match !== null && isEnvironment(match[1]) ? match[1] : stackOf(urn);
}

/** Mandatory everywhere. */
export const everywhere = (): Level => "mandatory";
/** Mandatory on the strict environments (staging and prod), advisory on the others (and any other stack). */
export const strictOnStagingAndProd = (environment: string): Level =>
  isEnvironment(environment) && ENVIRONMENT_TRAITS[environment].strict ? "mandatory" : "advisory";

export function ofType(resources: readonly StackResource[], type: string): StackResource[] {
  return resources.filter((r) => r.type === type);
}

/**
 * The role's key (databaseOwner, owner, migrator, app, readonly): its PostgreSQL name against the
 * names the convention gives the stack's database; the app role, whose name is configured, is the
 * login role the convention does not name. Undefined while a name is not known.
 */
export function roleKey(role: StackResource, resources: readonly StackResource[]): string | undefined {
  const name = role.props.name;
  const database = ofType(resources, TYPES.database)[0]?.props.name;
  if (typeof name !== "string" || typeof database !== "string") return undefined;
  const conventional = roleNamesOf(database, "");
  const derived = (["migrator", "readonly", ...OWNING_ROLES] as const).find((k) => conventional[k] === name);
  return derived ?? (role.props.login === true ? "app" : undefined);
}

/** Whether `path` is secret: it or one of its ancestors is in `secretPaths`. */
export function isSecretPath(resource: StackResource, path: string): boolean {
  return resource.secretPaths.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
}

/** A value the engine does not know yet (during a preview, an output of a resource not yet created). */
export const UNKNOWN = "(unknown during preview)";

/** Equal, or one side not known yet. */
export const sameOrUnknown = (a: unknown, b: unknown): boolean => a === b || a === UNKNOWN || b === UNKNOWN;

/** Every leaf value under `value` with its path (values not known yet are left out). */
export function* leaves(value: unknown, path = ""): Generator<{ path: string; key: string; value: unknown }> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* leaves(value[i], `${path}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* leaves(v, path ? `${path}.${k}` : k);
  } else if (value !== UNKNOWN) {
    yield {
      path,
      key:
        path
          .replace(/\[\d+\]$/, "")
          .split(".")
          .pop() ?? path,
      value,
    };
  }
}
