/**
 * Every `precog:*` stack config key: its type, default and meaning. This table is the program's
 * source of truth; Pulumi.yaml declares the same keys for the CLI (a test keeps the two equal).
 */

import { LOCAL_SERVER } from "../../src/env/defaults";

export type KeyType = "string" | "integer" | "boolean" | "array";

/**
 * Which server kind reads a key: both, only `server: local`, or only `server: aws`. A key of the
 * other kind is known, so it is not an error, only unused: a stack keeps its aws keys when it is
 * pointed at a local server (as the end-to-end tests do with staging and prod).
 */
export type KeyScope = "all" | "local" | "aws";

export interface KeySpec {
  readonly type: KeyType;
  readonly scope: KeyScope;
  readonly description: string;
  /** Omitted: the key is required (where its scope applies). */
  readonly default?: string | number | boolean | readonly string[];
  /** Held as a Pulumi secret (`pulumi config set --secret`). */
  readonly secret?: boolean;
}

export const CONFIG_KEYS = {
  environment: { type: "string", scope: "all", description: "The environment this stack provisions: dev, test, staging or prod. Must equal the stack name." },
  server: { type: "string", scope: "all", description: "Where the PostgreSQL server is: local (a server on loopback reached with admin credentials) or aws (an RDS instance this stack creates)." },
  database: { type: "string", scope: "all", description: "Database name, e.g. precog_dev. The owner role is <database>_owner and the read-only role <database>_readonly." },
  appRole: { type: "string", scope: "all", description: "The application's login role, e.g. precog_app_user." },
  poolMin: { type: "integer", scope: "all", description: "Application pool lower bound, in connections (exported as DB_POOL_MIN_CONN)." },
  poolMax: { type: "integer", scope: "all", description: "Application pool upper bound per app instance, in connections (exported as DB_POOL_MAX_CONN)." },
  appInstances: { type: "integer", scope: "all", default: 1, description: "How many app instances share the database; the app role's CONNECTION LIMIT is poolMax x appInstances." },
  readonlyConnectionLimit: { type: "integer", scope: "all", default: 5, description: "CONNECTION LIMIT of the read-only role." },
  ownerConnectionLimit: { type: "integer", scope: "all", default: 5, description: "CONNECTION LIMIT of the owner role that migrations run as." },
  serverMaxConnections: { type: "integer", scope: "all", default: 100, description: "The server's connection budget (max_connections; set on the RDS parameter group for aws)." },
  reservedConnections: { type: "integer", scope: "all", default: 10, description: "Connections kept free for admins and maintenance; the login roles' limits must fit in serverMaxConnections minus this." },
  protect: { type: "boolean", scope: "all", default: false, description: "Protect data resources (server, database, roles, secrets) from deletion by Pulumi." },

  host: { type: "string", scope: "local", default: LOCAL_SERVER.host, description: "Host of the local server." },
  port: { type: "integer", scope: "local", default: LOCAL_SERVER.port, description: "Port of the local server (scripts/local-pg.sh uses 54329)." },
  adminUser: { type: "string", scope: "local", default: "postgres", description: "Superuser the program provisions with." },
  adminPassword: { type: "string", scope: "local", secret: true, default: "", description: "Superuser password (secret). When unset, read from adminPasswordFile." },
  adminPasswordFile: { type: "string", scope: "local", default: ".local/pg/admin-password", description: "File holding the superuser password, relative to the project; scripts/local-pg.sh writes it." },
  sslMode: { type: "string", scope: "local", default: "disable", description: "sslmode for the admin connection to the local server." },

  instanceClass: { type: "string", scope: "aws", description: "RDS instance class, e.g. db.t4g.medium." },
  allocatedStorage: { type: "integer", scope: "aws", description: "Initial storage, in GiB." },
  maxAllocatedStorage: { type: "integer", scope: "aws", default: 0, description: "Storage autoscaling ceiling in GiB; 0 turns autoscaling off." },
  engineVersion: { type: "string", scope: "aws", default: "16", description: "PostgreSQL major (or major.minor) version." },
  parameterGroupFamily: { type: "string", scope: "aws", default: "postgres16", description: "RDS parameter group family matching engineVersion." },
  multiAz: { type: "boolean", scope: "aws", default: false, description: "Run a standby in a second availability zone." },
  backupRetentionDays: { type: "integer", scope: "aws", description: "Automated backup retention, in days (1-35)." },
  deletionProtection: { type: "boolean", scope: "aws", default: true, description: "RDS deletion protection." },
  finalSnapshot: { type: "boolean", scope: "aws", default: true, description: "Take a final snapshot when the instance is deleted." },
  subnetIds: { type: "array", scope: "aws", description: "Private subnets for the DB subnet group (at least two zones)." },
  securityGroupIds: { type: "array", scope: "aws", description: "Security groups for the instance (and proxy)." },
  pgaudit: { type: "boolean", scope: "aws", default: true, description: "Load pgaudit and log DDL and role changes." },
  rotationDays: { type: "integer", scope: "aws", default: 30, description: "Rotate each login role's secret every N days; 0 turns rotation off." },
  rotationLambdaArn: { type: "string", scope: "aws", default: "", description: "ARN of the RDS PostgreSQL single-user rotation function (required when rotationDays > 0)." },
  proxy: { type: "boolean", scope: "aws", default: false, description: "Put an RDS Proxy in front of the instance for the app role." },
  proxyMaxConnectionsPercent: { type: "integer", scope: "aws", default: 75, description: "Share of max_connections the proxy may use, in percent." },
  adminHost: { type: "string", scope: "aws", default: "", description: "Host to reach the instance for provisioning (e.g. a tunnel), when the deployer is outside the VPC; default: the instance address." },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export const NAMESPACE = "precog";
