/**
 * Every `precog:*` stack config key, and every field of the structured ones: type, range, default
 * and meaning. This table is the program's source of truth; Pulumi.yaml declares the same keys for
 * the CLI, with these fields in their descriptions (scripts/render-pulumi-yaml.ts; a test keeps the
 * two equal). PrecogConfig (./parse.ts) has exactly this shape.
 *
 * Where later settings go: RDS ones (KMS key, monitoring, windows, CA) in `rds`, per-role ones
 * (statement and idle timeouts) in `roles.<role>`, rotation ones in `rotation`, budget ones in
 * `connections`, and a `migrations` group of its own.
 */

import { ENVIRONMENTS } from "../env/environment";
import type { Field, FieldValue, GroupValue } from "./fields";

export const NAMESPACE = "precog";

/**
 * Where scripts/local-pg.sh's private cluster listens (its PRECOG_PG_PORT default): the defaults of
 * precog:local.host and precog:local.port.
 */
export const LOCAL_SERVER = Object.freeze({ host: "127.0.0.1", port: 54329 });

const connectionLimit = (whose: string) =>
  ({ type: "integer", min: 1, default: 5, description: `CONNECTION LIMIT of the ${whose}.` }) as const;

/** A role's statement_timeout and idle_in_transaction_session_timeout, set on the role itself. */
const sessionTimeouts = (statementMs: number, idleMs: number) =>
  ({
    statementTimeoutMs: {
      type: "integer",
      min: 0,
      default: statementMs,
      description: "statement_timeout of the role, in milliseconds; 0: none.",
    },
    idleInTransactionTimeoutMs: {
      type: "integer",
      min: 0,
      default: idleMs,
      description: "idle_in_transaction_session_timeout of the role, in milliseconds; 0: none.",
    },
  }) as const;

export const CONFIG_SCHEMA = {
  environment: {
    type: "string",
    oneOf: ENVIRONMENTS,
    description:
      "The environment this stack provisions: dev, test, staging or prod. The stack's name may not name another one.",
  },
  database: {
    type: "string",
    identifier: true,
    description:
      "Database name, e.g. precog_dev. The other roles follow from it: <database>_dbowner, _owner, _migrator and _readonly.",
  },
  protect: {
    type: "boolean",
    default: false,
    description: "Protect data resources (server, database, roles, passwords, secrets) from deletion by Pulumi.",
  },
  roles: {
    type: "object",
    description:
      "The login roles: the application's, the read-only one and the migrator that migrations log in as (acting as the owner role <database>_owner, which cannot log in).",
    fields: {
      app: {
        type: "object",
        description:
          "The application's login role; its CONNECTION LIMIT is pool.max x pool.appInstances plus connectionHeadroom.",
        fields: {
          name: { type: "string", identifier: true, description: "Role name, e.g. precog_app_user." },
          connectionHeadroom: {
            type: "integer",
            min: 0,
            default: 5,
            description:
              "Connections the app role may open beyond its pools when they are full: a rotation's own login, a rolling deploy's extra instance.",
          },
          ...sessionTimeouts(30_000, 60_000),
        },
      },
      readonly: {
        type: "object",
        description: "The read-only role <database>_readonly.",
        fields: { connectionLimit: connectionLimit("read-only role"), ...sessionTimeouts(300_000, 60_000) },
      },
      migrator: {
        type: "object",
        description: "The migrator role <database>_migrator, a member of the owner role <database>_owner.",
        fields: { connectionLimit: connectionLimit("migrator role"), ...sessionTimeouts(0, 600_000) },
      },
    },
  },
  pool: {
    type: "object",
    description:
      "The application's connection pool, per app instance (exported as DB_POOL_MIN_CONN and DB_POOL_MAX_CONN).",
    fields: {
      min: { type: "integer", min: 0, description: "Lower bound, in connections." },
      max: { type: "integer", min: 1, description: "Upper bound, in connections." },
      appInstances: {
        type: "integer",
        min: 1,
        default: 1,
        description: "How many app instances share the database, each with its own pool.",
      },
    },
  },
  connections: {
    type: "object",
    description: "The server's connection budget: the login roles' limits must fit in serverMax minus reserved.",
    fields: {
      serverMax: {
        type: "integer",
        min: 1,
        default: 100,
        description: "max_connections (set on the RDS parameter group with precog:rds).",
      },
      reserved: {
        type: "integer",
        min: 0,
        default: 10,
        description: "Connections kept free for admins and maintenance.",
      },
    },
  },
  local: {
    type: "object",
    optional: true,
    description:
      "A server on loopback that this program does not create (scripts/local-pg.sh runs it), reached with admin credentials: " +
      "the stack's server when precog:rds is unset; the defaults suit scripts/local-pg.sh. The admin password is the secret precog:adminPassword, or else the file below.",
    fields: {
      host: { type: "string", default: LOCAL_SERVER.host, description: "Host." },
      port: {
        type: "integer",
        min: 1,
        max: 65535,
        default: LOCAL_SERVER.port,
        description: "Port (scripts/local-pg.sh uses 54329).",
      },
      adminUser: {
        type: "string",
        identifier: true,
        default: "postgres",
        description: "Superuser the program provisions with.",
      },
      adminPasswordFile: {
        type: "string",
        default: ".local/pg/admin-password",
        description: "File holding the superuser password, relative to the project; scripts/local-pg.sh writes it.",
      },
      sslMode: { type: "string", default: "disable", description: "sslmode of the admin connection." },
      pgaudit: {
        type: "boolean",
        default: false,
        description:
          "The server loads pgaudit (as RDS does with precog:rds.pgaudit): create the extension in the database.",
      },
    },
  },
  rds: {
    type: "object",
    optional: true,
    description:
      "An RDS PostgreSQL instance this stack creates; when set (anything but the default {}), it is the stack's server (server: aws).",
    fields: {
      instanceClass: { type: "string", description: "Instance class, e.g. db.t4g.medium." },
      allocatedStorage: { type: "integer", min: 20, max: 65536, description: "Initial storage, in GiB." },
      maxAllocatedStorage: {
        type: "integer",
        min: 20,
        max: 65536,
        optional: true,
        description: "Storage autoscaling ceiling in GiB, at least allocatedStorage; absent: no autoscaling.",
      },
      iops: {
        type: "integer",
        min: 12000,
        max: 64000,
        optional: true,
        description:
          "Provisioned gp3 IOPS, from 400 GiB of allocatedStorage on (below it gp3 gives a fixed 3000); absent: gp3's baseline for the size.",
      },
      storageThroughput: {
        type: "integer",
        min: 500,
        max: 4000,
        optional: true,
        description:
          "Provisioned gp3 throughput in MiB/s, from 400 GiB on (below it a fixed 125), at most 0.25 MiB/s per IOPS; absent: gp3's baseline for the size.",
      },
      databaseInsightsMode: {
        type: "string",
        oneOf: ["standard", "advanced"],
        default: "standard",
        description:
          "CloudWatch Database Insights: standard, or advanced (needs performanceInsightsRetentionDays of at least 465).",
      },
      engineVersion: {
        type: "string",
        default: "16",
        description: "PostgreSQL major (or major.minor) version, quoted.",
      },
      parameterGroupFamily: {
        type: "string",
        default: "postgres16",
        description: "Parameter group family matching engineVersion.",
      },
      multiAz: { type: "boolean", default: false, description: "Run a standby in a second availability zone." },
      applyImmediately: {
        type: "boolean",
        default: false,
        description:
          "Apply the instance's modifications (class, storage, engine version, parameter group) during the up instead of in the next maintenance window; " +
          'true for a major upgrade (docs/stacks.md, "A major version upgrade").',
      },
      allowMajorVersionUpgrade: {
        type: "boolean",
        default: false,
        description:
          "Let a change of engineVersion to another major version go through; false: RDS refuses it. Set for the upgrade's up, unset after.",
      },
      backupRetentionDays: { type: "integer", min: 1, max: 35, description: "Automated backup retention, in days." },
      deletionProtection: { type: "boolean", default: true, description: "RDS deletion protection." },
      finalSnapshot: {
        type: "boolean",
        default: true,
        description: "Take a final snapshot when the instance is deleted.",
      },
      subnetIds: {
        type: "list",
        description: "Private subnets for the DB subnet group, in at least two availability zones.",
      },
      securityGroupIds: { type: "list", description: "Security groups of the instance." },
      pgaudit: {
        type: "boolean",
        default: true,
        description:
          "Load pgaudit, create its extension in the database and log DDL and role changes through it (passwords redacted).",
      },
      logRetentionDays: {
        type: "integer",
        min: 1,
        max: 3653,
        default: 30,
        description:
          "Retention of the CloudWatch log groups, in days; one of the values CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ...).",
      },
      performanceInsightsRetentionDays: {
        type: "integer",
        min: 0,
        max: 731,
        default: 7,
        description: "Performance Insights retention, in days: 7, 731 or a multiple of 31 (7 is free); 0 turns it off.",
      },
      monitoringIntervalSeconds: {
        type: "integer",
        min: 0,
        max: 60,
        default: 60,
        description: "Enhanced Monitoring interval, in seconds: 0 (off), 1, 5, 10, 15, 30 or 60.",
      },
      maintenanceWindow: {
        type: "string",
        default: "sun:05:00-sun:06:00",
        description: "Weekly maintenance window, UTC (ddd:hh24:mi-ddd:hh24:mi), not overlapping the backup window.",
      },
      backupWindow: {
        type: "string",
        default: "03:00-04:00",
        description: "Daily automated backup window, UTC (hh24:mi-hh24:mi), at least 30 minutes.",
      },
      caCertIdentifier: {
        type: "string",
        default: "rds-ca-rsa2048-g1",
        description: "The RDS certificate authority the instance's server certificate is signed by, pinned.",
      },
      caBundleFile: {
        type: "string",
        default: "config/rds-ca/rds-ca-rsa2048-g1.pem",
        description:
          "PEM file of the root certificates the provisioning and migration connections verify the instance's certificate against (sslmode verify-full), " +
          'relative to the project; the committed one holds AWS\'s rds-ca-rsa2048-g1 region roots (docs/stacks.md, "The RDS CA bundle"). Another caCertIdentifier, or a region the file lacks, needs a bundle of its own here.',
      },
      extendedSupport: {
        type: "boolean",
        default: false,
        description:
          "Enrol in paid RDS Extended Support once the major version's standard support ends; false declines it.",
      },
      adminHost: {
        type: "string",
        optional: true,
        description:
          "Host to reach the instance for provisioning when the deployer is outside the VPC; a name the instance's certificate carries (verify-full), so a tunnel is better reached under the instance's address (/etc/hosts); absent: the instance address.",
      },
      backupReplication: {
        type: "object",
        optional: true,
        description:
          "A second copy of the automated backups in another region (RDS automated-backup replication), encrypted with a key of the stack's in that region; absent: one region only.",
        fields: {
          region: { type: "string", description: "The destination region, e.g. us-west-2; not aws:region." },
          retentionDays: {
            type: "integer",
            min: 1,
            max: 35,
            default: 7,
            description: "How long the replicated automated backups are kept, in days.",
          },
        },
      },
      alarms: {
        type: "object",
        description:
          "CloudWatch alarms on the instance and an RDS event subscription, into the stack's encrypted on-call SNS topic precog-<environment>-on-call.",
        fields: {
          enabled: {
            type: "boolean",
            default: true,
            description: "Create the alarms, the subscription and the topic.",
          },
          freeStorageGiB: {
            type: "integer",
            min: 1,
            default: 10,
            description: "Alarm when the free storage falls below this many GiB.",
          },
          cpuPercent: {
            type: "integer",
            min: 1,
            max: 100,
            default: 80,
            description: "Alarm when the average CPU stays above this percent.",
          },
          connectionsPercent: {
            type: "integer",
            min: 1,
            max: 100,
            default: 90,
            description:
              "Alarm when the open connections exceed this percent of the login roles' budget (connections.serverMax minus connections.reserved).",
          },
          replicaLagSeconds: {
            type: "integer",
            min: 1,
            max: 86400,
            default: 300,
            description:
              "Alarm when a read replica (precog:rds.replicas) lags the instance by more than this many seconds.",
          },
          periodSeconds: {
            type: "integer",
            min: 60,
            max: 3600,
            default: 300,
            description: "Length of one evaluated period, in seconds (a multiple of 60).",
          },
          evaluationPeriods: {
            type: "integer",
            min: 1,
            max: 24,
            default: 3,
            description: "Consecutive periods past the threshold before an alarm fires.",
          },
        },
      },
      restore: {
        type: "object",
        optional: true,
        description:
          "Create the instance from a backup instead of empty, under its own identifier (precog-<environment>): " +
          'set one of the two fields; the runbook renames the old instance out of the way first (docs/operations.md, "Restoring an instance"). ' +
          "Read when the instance is created: keep it set afterwards, since changing or removing it replaces the instance (which precog:protect blocks); absent: an empty instance.",
        fields: {
          snapshotIdentifier: {
            type: "string",
            optional: true,
            description:
              "A DB snapshot of the same engine to restore (a manual or automated one's identifier, or a shared one's ARN).",
          },
          pointInTime: {
            type: "object",
            optional: true,
            description: "A point-in-time restore from another instance's automated backups.",
            fields: {
              sourceInstance: {
                type: "string",
                description:
                  "Identifier of the instance whose backups are restored (the old instance, renamed); never this stack's own.",
              },
              restoreTime: {
                type: "string",
                optional: true,
                description: "The moment to restore, UTC, as 2026-12-06T21:30:00Z; absent: useLatestRestorableTime.",
              },
              useLatestRestorableTime: {
                type: "boolean",
                default: false,
                description: "Restore the latest restorable time (about five minutes ago) instead of restoreTime.",
              },
            },
          },
        },
      },
      replicas: {
        type: "object",
        optional: true,
        description:
          "Read replicas of the instance, precog-<environment>-replica-<n>, for the readonly role (the output replicaHosts): " +
          "the instance's parameters, so the same max_connections, which PostgreSQL requires of a hot standby; absent: none.",
        fields: {
          count: { type: "integer", min: 1, max: 15, default: 1, description: "How many replicas." },
          instanceClass: {
            type: "string",
            optional: true,
            description: "Instance class of each replica; absent: the instance's (precog:rds.instanceClass).",
          },
          otherRegion: {
            type: "object",
            optional: true,
            description:
              "The replicas in another region instead (cross-region read replicas), each encrypted with a key of the stack's there and on a parameter group of its own there with the same values; absent: the instance's region.",
            fields: {
              region: { type: "string", description: "The replicas' region, e.g. us-west-2; not aws:region." },
              subnetIds: {
                type: "list",
                description:
                  "Private subnets in that region for the replicas' subnet group, in at least two availability zones.",
              },
              securityGroupIds: { type: "list", description: "Security groups of the replicas, in that region." },
            },
          },
          unmanagedMasterPassword: {
            type: "boolean",
            default: false,
            description:
              "Required true with replicas: RDS creates no read replica of an instance whose master password it manages in Secrets Manager, " +
              "so the stack sets a generated one, a secret in its state only, never read by the program; " +
              'break-glass resets it (docs/operations.md, "Break-glass: the master login").',
          },
        },
      },
      proxy: {
        type: "object",
        optional: true,
        description: "An RDS Proxy in front of the instance for the app role; absent: none.",
        fields: {
          maxConnectionsPercent: {
            type: "integer",
            min: 1,
            max: 100,
            default: 75,
            description: "Share of max_connections the proxy may use, in percent.",
          },
          clientSecurityGroupIds: {
            type: "list",
            description:
              "Security groups of the app's instances: the proxy's own security group admits them on port 5432, and reaches the instance's groups only.",
          },
        },
      },
    },
  },
  rotation: {
    type: "object",
    description:
      "Rotation of each login role's Secrets Manager secret, on stacks with precog:rds (ignored on local ones).",
    fields: {
      days: {
        type: "integer",
        min: 0,
        max: 365,
        default: 30,
        description: "Rotate every N days; 0 turns rotation off.",
      },
      lambdaArn: {
        type: "string",
        optional: true,
        description:
          "A rotation function of your own, by ARN; absent: the stack deploys AWS's RDS PostgreSQL single-user rotation function in the database's subnets.",
      },
    },
  },
  migrations: {
    type: "object",
    description:
      "The migration component: applies migrations/ after the database and roles exist, in stack order dev -> test -> staging -> prod.",
    fields: {
      predecessor: {
        type: "string",
        optional: true,
        description:
          "The stack before this one: a migration is applied here only once that stack has applied it with the same checksum. " +
          "A stack name (dev) in this project, or a fully qualified one (org/precog/dev); absent: none (dev).",
      },
      keepSnapshots: {
        type: "integer",
        min: 1,
        max: 100,
        default: 10,
        description:
          "On aws stacks, the newest pre-migration RDS snapshots kept; older ones are deleted after each new one (unless younger than keepSnapshotDays).",
      },
      keepSnapshotDays: {
        type: "integer",
        min: 0,
        max: 3650,
        default: 0,
        description:
          "Pre-migration RDS snapshots younger than this many days are kept too; 0: the count alone decides.",
      },
      backupDir: {
        type: "string",
        optional: true,
        description:
          "Where the pre-migration pg_dump goes on staging and prod with a local server, relative to the project; absent there: an error.",
      },
    },
  },
} as const satisfies Record<string, Field>;

/**
 * Keys held only as Pulumi secrets (`pulumi config set --secret`). The program reads them through
 * the secret config API, never with the plain values. Pulumi.yaml cannot declare them: a declared
 * key needs a default on stacks that do not set it, and the CLI refuses a plaintext default for a
 * key declared secret.
 */
export const SECRET_KEYS = {
  adminPassword:
    "Superuser password of the local server (precog:local); when unset, read from precog:local.adminPasswordFile.",
} as const;

export type SecretKey = keyof typeof SECRET_KEYS;

/** The stack's config as written, with defaults filled in. */
export type StackConfig = GroupValue<typeof CONFIG_SCHEMA>;
export type LocalConfig = FieldValue<typeof CONFIG_SCHEMA.local>;
export type RdsConfig = FieldValue<typeof CONFIG_SCHEMA.rds>;
export type RotationConfig = FieldValue<typeof CONFIG_SCHEMA.rotation>;
export type MigrationsConfig = FieldValue<typeof CONFIG_SCHEMA.migrations>;
