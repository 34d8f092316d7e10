/**
 * The four committed stacks under Pulumi mocks: exact resources, names, inputs and counts; roles,
 * CONNECTION LIMITs, grants and default privileges; secretness; protection; the rotation guarantee.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { DEFAULT_PRIVILEGES, GRANTS } from "../../infra/database/privileges";
import { DEPLOYER_LOGIN, roleNamesOf } from "../../src/env/roles";
import { adminPasswordFile } from "../helpers/password-file";
import { stackFacts } from "../helpers/stack-facts";
import {
  accountOf,
  isSecret,
  MASTER_SECRET_ARN,
  RDS_CA_BUNDLE,
  type Run,
  runStack,
  STACKS,
  type Stack,
  SUBNET_VPC,
  secretInput,
} from "./harness";

const dependencyNames = (r: { opts: { dependsOn?: unknown } }) =>
  ([] as unknown[]).concat(r.opts.dependsOn ?? []).map((d) => (d as { __name: string }).__name);

const PASSWORD_FILE = adminPasswordFile();

/** Runs a committed stack as its operator would: confirmed on prod, admin password file on local. */
function run(stack: Stack): Promise<Run> {
  return runStack(stack, {
    config: stack === "dev" || stack === "test" ? { "precog:local.adminPasswordFile": PASSWORD_FILE } : {},
    vars: stack === "prod" ? { PRECOG_PROD_CONFIRMED: "yes", USER: "ops-alice" } : {},
  });
}

/** A committed stack with config overrides on top. */
function run2(stack: Stack, config: Record<string, unknown>): Promise<Run> {
  return runStack(stack, { config: config as any, vars: stack === "prod" ? { PRECOG_PROD_CONFIRMED: "yes" } : {} });
}

const PG = "postgresql:index";
/** The stack's KMS key, as the mocks name its ARN. */
const KEY = (stack: string) => `arn:aws:kms:us-east-1:${accountOf(stack)}:key/precog-${stack}-server-key`;
/** The login roles with a password: every one on a local server; on aws the migrator logs in by IAM. */
const passwordRoles = (server: "local" | "aws") =>
  server === "aws" ? ["app", "readonly"] : ["migrator", "app", "readonly"];
function databaseResources(p: string, server: "local" | "aws"): string[] {
  return [
    `precog:database:PrecogDatabase ${p}-db`,
    `pulumi:providers:postgresql ${p}-db-admin`,
    ...passwordRoles(server).map((r) => `random:index/randomPassword:RandomPassword ${p}-password-${r}`),
    ...["databaseOwner", "owner", "migrator", "app", "readonly"].map((r) => `${PG}/role:Role ${p}-db-role-${r}`),
    `${PG}/database:Database ${p}-db-database`,
    ...GRANTS.map((g) => `${PG}/grant:Grant ${p}-db-grant-${g.key}`),
    ...DEFAULT_PRIVILEGES.map((d) => `${PG}/defaultPrivileges:DefaultPrivileges ${p}-db-default-${d.key}`),
  ];
}
/** The migration component, and the stack whose ledger it reads (the predecessor's; its own is its resource's state). */
function migrationResources(p: string, withPredecessor: boolean): string[] {
  return [
    `precog:migrations:PrecogMigrations ${p}-migrations`,
    `pulumi:providers:precog-migrations ${p}-migrations-provider`,
    `precog-migrations:index:Migrations ${p}-migrations`,
    ...(withPredecessor ? [`pulumi:pulumi:StackReference ${p}-migrations-predecessor`] : []),
  ];
}
/** The committed database security group of an aws stack. */
const dbGroup = (p: string) => (p === "precog-prod" ? "sg-0b22prod00000001" : "sg-0a11staging0000001");
/** The committed security group of the app's instances, which the proxy admits. */
const appGroup = (p: string) => (p === "precog-prod" ? "sg-0b22prod00000002" : "sg-0a11staging0000002");
function awsResources(p: string, proxy: boolean): string[] {
  const roles = passwordRoles("aws");
  return [
    `precog:server:RdsServer ${p}-server`,
    `aws:iam/policy:Policy ${p}-server-iam-deploy-db-login`,
    `aws:iam/policy:Policy ${p}-server-iam-preview-guard`,
    `aws:rds/subnetGroup:SubnetGroup ${p}-server-subnets`,
    `aws:rds/parameterGroup:ParameterGroup ${p}-server-params`,
    `aws:rds/instance:Instance ${p}-server-instance`,
    `aws:kms/key:Key ${p}-server-key`,
    `aws:kms/alias:Alias ${p}-server-key-alias`,
    `aws:cloudwatch/logGroup:LogGroup ${p}-server-log-postgresql`,
    `aws:cloudwatch/logGroup:LogGroup ${p}-server-log-upgrade`,
    `aws:iam/role:Role ${p}-server-monitoring`,
    `aws:iam/rolePolicyAttachment:RolePolicyAttachment ${p}-server-monitoring-policy`,
    `random:index/randomId:RandomId ${p}-server-final-snapshot`,
    `precog:server:ServerAlarms ${p}-server-alarms`,
    `aws:sns/topic:Topic ${p}-server-alarms-topic`,
    `aws:sns/topicPolicy:TopicPolicy ${p}-server-alarms-topic-policy`,
    ...["free-storage", "cpu", "connections"].map(
      (a) => `aws:cloudwatch/metricAlarm:MetricAlarm ${p}-server-alarms-${a}`,
    ),
    `aws:rds/eventSubscription:EventSubscription ${p}-server-alarms-events`,
    `${PG}/extension:Extension ${p}-db-extension-pgaudit`,
    `precog:credentials:RotationFunction ${p}-rotation`,
    `aws:ec2/securityGroup:SecurityGroup ${p}-rotation-sg`,
    `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-rotation-db-ingress-${dbGroup(p)}`,
    `aws:serverlessrepository/cloudFormationStack:CloudFormationStack ${p}-rotation-function`,
    `precog:credentials:RotationAlarm ${p}-rotation-alarm`,
    `aws:sns/topic:Topic ${p}-rotation-alarm-topic`,
    `aws:sns/topicPolicy:TopicPolicy ${p}-rotation-alarm-topic-policy`,
    `aws:cloudwatch/eventRule:EventRule ${p}-rotation-alarm-rule`,
    `aws:cloudwatch/eventTarget:EventTarget ${p}-rotation-alarm-target`,
    ...roles.flatMap((r) => [
      `precog:credentials:RoleSecret ${p}-secret-${r}`,
      `aws:secretsmanager/secret:Secret ${p}-secret-${r}-secret`,
      `aws:secretsmanager/secretVersion:SecretVersion ${p}-secret-${r}-initial`,
      `aws:secretsmanager/secretRotation:SecretRotation ${p}-secret-${r}-rotation`,
    ]),
    ...(proxy
      ? [
          `precog:server:RdsProxy ${p}-proxy`,
          `aws:ec2/securityGroup:SecurityGroup ${p}-proxy-sg`,
          `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-proxy-from-${appGroup(p)}`,
          `aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule ${p}-proxy-to-${dbGroup(p)}`,
          `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-proxy-db-ingress-${dbGroup(p)}`,
          `aws:iam/role:Role ${p}-proxy-role`,
          `aws:iam/rolePolicy:RolePolicy ${p}-proxy-read-secret`,
          `aws:rds/proxy:Proxy ${p}-proxy-proxy`,
          `aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup ${p}-proxy-targets`,
          `aws:rds/proxyTarget:ProxyTarget ${p}-proxy-target`,
        ]
      : []),
  ];
}
const EXPECTED: Record<Stack, string[]> = {
  dev: [
    `precog:environment:PrecogEnvironment precog-dev`,
    `pulumi:pulumi:StackReference precog-dev-deployed`,
    ...databaseResources("precog-dev", "local"),
    `${PG}/function:Function precog-dev-db-environment-marker`,
    ...migrationResources("precog-dev", false),
  ],
  test: [
    `precog:environment:PrecogEnvironment precog-test`,
    `pulumi:pulumi:StackReference precog-test-deployed`,
    ...databaseResources("precog-test", "local"),
    `${PG}/function:Function precog-test-db-environment-marker`,
    ...migrationResources("precog-test", true),
  ],
  staging: [
    `precog:environment:PrecogEnvironment precog-staging`,
    `pulumi:pulumi:StackReference precog-staging-deployed`,
    ...databaseResources("precog-staging", "aws"),
    ...awsResources("precog-staging", true),
    ...migrationResources("precog-staging", true),
  ],
  prod: [
    `precog:environment:PrecogEnvironment precog-prod`,
    `pulumi:pulumi:StackReference precog-prod-deployed`,
    ...databaseResources("precog-prod", "aws"),
    ...awsResources("precog-prod", true),
    `aws:kms/key:Key precog-prod-server-backup-copy-key`,
    `aws:kms/alias:Alias precog-prod-server-backup-copy-key-alias`,
    `aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication precog-prod-server-backup-copy`,
    ...migrationResources("precog-prod", true),
  ],
};
/** The app role's: pool.max x pool.appInstances plus the default headroom of 5. */
const LIMITS: Record<Stack, { app: number; readonly: number; migrator: number }> = {
  dev: { app: 15, readonly: 5, migrator: 5 },
  test: { app: 55, readonly: 5, migrator: 5 },
  staging: { app: 55, readonly: 5, migrator: 5 },
  prod: { app: 205, readonly: 5, migrator: 5 },
};

/** Pulumi.yaml's defaults, which no committed stack overrides: statement and idle-in-transaction, ms. */
const TIMEOUTS = {
  app: { statement: 30_000, idle: 60_000 },
  readonly: { statement: 300_000, idle: 60_000 },
  migrator: { statement: 0, idle: 600_000 },
};

describe.each(STACKS)("stack %s", (stack) => {
  const p = `precog-${stack}`;
  const t = stackFacts(stack);
  const roleNames = roleNamesOf(t.database, t.appRole);

  it("registers exactly the expected resources", async () => {
    const r = await run(stack);
    expect(r.resources.map((x) => `${x.type} ${x.name}`).sort()).toEqual([...EXPECTED[stack]].sort());
  });

  it("creates the two owning roles without login, password or members of their own", async () => {
    const r = await run(stack);
    for (const [role, name] of [
      ["databaseOwner", `${t.database}_dbowner`],
      ["owner", `${t.database}_owner`],
    ] as const) {
      const { inputs, opts } = r.byName(`${p}-db-role-${role}`);
      expect(inputs).toEqual({
        name,
        login: false,
        createDatabase: false,
        createRole: false,
        inherit: true,
        superuser: false,
        replication: false,
      });
      expect(opts.ignoreChanges ?? []).toEqual([]);
    }
    // Only the migrator is a member of a role, and only of the owner (and, on aws, of rds_iam: it
    // logs in by IAM only): of the database's owner, none.
    const memberships = r
      .ofType("postgresql:index/role:Role")
      .filter((x) => (x.inputs.roles ?? []).length > 0)
      .map((x) => [x.inputs.name, x.inputs.roles]);
    expect(memberships).toEqual([
      [`${t.database}_migrator`, [`${t.database}_owner`, ...(t.server === "aws" ? ["rds_iam"] : [])]],
    ]);
  });

  it("creates the login roles with least privilege and their CONNECTION LIMITs", async () => {
    const r = await run(stack);
    for (const role of ["migrator", "app", "readonly"] as const) {
      const { inputs, opts } = r.byName(`${p}-db-role-${role}`);
      const iam = t.server === "aws" && role === "migrator";
      const { password, ...rest } = inputs;
      expect(rest).toEqual({
        name: roleNames[role],
        login: true,
        connectionLimit: LIMITS[stack][role],
        createDatabase: false,
        createRole: false,
        inherit: true,
        superuser: false,
        replication: false,
        roles: role === "migrator" ? [`${t.database}_owner`, ...(iam ? ["rds_iam"] : [])] : [],
        searchPaths: ["public"],
        statementTimeout: TIMEOUTS[role].statement,
        idleInTransactionSessionTimeout: TIMEOUTS[role].idle,
      });
      // On aws the migrator has no password at all: it logs in by IAM (rds_iam).
      if (iam) expect(password).toBeUndefined();
      else expect(secretInput(password)).toBe(`pw-${p}-password-${role}-plaintext`);
      expect(opts.ignoreChanges).toEqual(["password"]);
    }
  });

  it("creates the database owned by the database-owner role, which no login is a member of", async () => {
    const r = await run(stack);
    expect(r.byName(`${p}-db-database`).inputs).toMatchObject({
      name: t.database,
      owner: `${t.database}_dbowner`,
      encoding: "UTF8",
      template: "template0",
    });
  });

  it(
    stack === "dev" || stack === "test"
      ? "marks the database as the environment's, after the privilege plan"
      : "writes no environment marker on the database",
    async () => {
      const r = await run(stack);
      const markers = r.ofType("postgresql:index/function:Function");
      if (stack !== "dev" && stack !== "test") return expect(markers).toEqual([]);
      expect(markers.map((m) => m.inputs)).toEqual([
        {
          database: t.database,
          schema: "public",
          name: "precog_environment",
          returns: "text",
          language: "sql",
          volatility: "IMMUTABLE",
          body: `SELECT '${stack}'::text`,
        },
      ]);
      const { opts } = r.byName(`${p}-db-environment-marker`);
      expect((opts.dependsOn as unknown[] | undefined)?.length).toBe(
        r.ofType("postgresql:index/grant:Grant").length +
          r.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges").length,
      );
    },
  );

  it("revokes PUBLIC and grants data privileges only", async () => {
    const r = await run(stack);
    const grants = r.ofType("postgresql:index/grant:Grant").map((g) => ({ name: g.name, ...g.inputs }));
    expect(grants.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      {
        name: `${p}-db-grant-app-database`,
        database: t.database,
        role: t.appRole,
        objectType: "database",
        privileges: ["CONNECT"],
      },
      {
        name: `${p}-db-grant-app-schema`,
        database: t.database,
        role: t.appRole,
        objectType: "schema",
        schema: "public",
        privileges: ["USAGE"],
      },
      {
        name: `${p}-db-grant-app-sequences`,
        database: t.database,
        role: t.appRole,
        objectType: "sequence",
        schema: "public",
        objects: [],
        privileges: ["SELECT", "USAGE"],
      },
      {
        name: `${p}-db-grant-app-tables`,
        database: t.database,
        role: t.appRole,
        objectType: "table",
        schema: "public",
        objects: [],
        privileges: ["DELETE", "INSERT", "SELECT", "UPDATE"],
      },
      {
        name: `${p}-db-grant-owner-database`,
        database: t.database,
        role: `${t.database}_owner`,
        objectType: "database",
        privileges: ["CONNECT", "CREATE", "TEMPORARY"],
      },
      {
        name: `${p}-db-grant-owner-schema`,
        database: t.database,
        role: `${t.database}_owner`,
        objectType: "schema",
        schema: "public",
        privileges: ["CREATE", "USAGE"],
      },
      {
        name: `${p}-db-grant-public-database`,
        database: t.database,
        role: "public",
        objectType: "database",
        privileges: [],
      },
      {
        name: `${p}-db-grant-public-schema`,
        database: t.database,
        role: "public",
        objectType: "schema",
        schema: "public",
        privileges: [],
      },
      {
        name: `${p}-db-grant-readonly-database`,
        database: t.database,
        role: roleNames.readonly,
        objectType: "database",
        privileges: ["CONNECT"],
      },
      {
        name: `${p}-db-grant-readonly-schema`,
        database: t.database,
        role: roleNames.readonly,
        objectType: "schema",
        schema: "public",
        privileges: ["USAGE"],
      },
      {
        name: `${p}-db-grant-readonly-sequences`,
        database: t.database,
        role: roleNames.readonly,
        objectType: "sequence",
        schema: "public",
        objects: [],
        privileges: ["SELECT"],
      },
      {
        name: `${p}-db-grant-readonly-tables`,
        database: t.database,
        role: roleNames.readonly,
        objectType: "table",
        schema: "public",
        objects: [],
        privileges: ["SELECT"],
      },
    ]);
  });

  it("sets default privileges on what the owner creates later", async () => {
    const r = await run(stack);
    const defaults = r
      .ofType("postgresql:index/defaultPrivileges:DefaultPrivileges")
      .map((d) => ({ name: d.name, ...d.inputs }));
    const base = { database: t.database, owner: roleNames.owner, schema: "public" };
    expect(defaults.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      {
        name: `${p}-db-default-app-sequences`,
        ...base,
        role: t.appRole,
        objectType: "sequence",
        privileges: ["SELECT", "USAGE"],
      },
      {
        name: `${p}-db-default-app-tables`,
        ...base,
        role: t.appRole,
        objectType: "table",
        privileges: ["DELETE", "INSERT", "SELECT", "UPDATE"],
      },
      {
        name: `${p}-db-default-public-functions`,
        database: t.database,
        owner: roleNames.owner, // every schema: a per-schema entry cannot take away the global EXECUTE
        role: "public",
        objectType: "function",
        privileges: [],
      },
      {
        name: `${p}-db-default-readonly-sequences`,
        ...base,
        role: roleNames.readonly,
        objectType: "sequence",
        privileges: ["SELECT"],
      },
      {
        name: `${p}-db-default-readonly-tables`,
        ...base,
        role: roleNames.readonly,
        objectType: "table",
        privileges: ["SELECT"],
      },
    ]);
  });

  it("deletes each Grant and DefaultPrivileges before creating its replacement", async () => {
    // Each manages one whole row: created first, the replacement's grant would be revoked by the old one's delete.
    const r = await run(stack);
    const privileges = [
      ...r.ofType("postgresql:index/grant:Grant"),
      ...r.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges"),
    ];
    expect(privileges).toHaveLength(GRANTS.length + DEFAULT_PRIVILEGES.length);
    for (const x of privileges) expect([x.name, x.opts.deleteBeforeReplace]).toEqual([x.name, true]);
  });

  it("exports the outputs contract: pool settings, ops facts of the instance, every password secret and nothing else", async () => {
    const r = await run(stack);
    const aws = t.server === "aws";
    expect(Object.keys(r.values).sort()).toEqual(
      [
        "environment",
        "server",
        "host",
        "port",
        "proxyHost",
        "database",
        "roles",
        "pool",
        "connectionLimits",
        "credentials",
        "instanceId",
        "instanceArn",
        "masterSecretArn",
        "logGroup",
        "migrations",
        "schemaVersion",
        "pendingReboot",
        "serverParameters",
        "replicaHosts",
      ].sort(),
    );
    expect(r.values).toMatchObject({
      environment: stack,
      server: t.server,
      host: aws ? `${p}-server-instance.abc123.us-east-1.rds.amazonaws.com` : "127.0.0.1",
      port: aws ? 5432 : 54329,
      proxyHost: aws ? `precog-${stack}.proxy-abc123.us-east-1.rds.amazonaws.com` : null,
      database: t.database,
      roles: roleNames,
      pool: { min: t.poolMin, max: t.poolMax },
      connectionLimits: LIMITS[stack],
    });
    expect({
      instanceId: r.values.instanceId,
      instanceArn: r.values.instanceArn,
      masterSecretArn: r.values.masterSecretArn,
      logGroup: r.values.logGroup,
    }).toEqual(
      aws
        ? {
            instanceId: p,
            instanceArn: `arn:aws:rds:us-east-1:${accountOf(stack)}:db:${p}`,
            masterSecretArn: MASTER_SECRET_ARN,
            logGroup: `/aws/rds/instance/${p}/postgresql`,
          }
        : { instanceId: null, instanceArn: null, masterSecretArn: null, logGroup: null },
    );
    expect(Object.keys(r.values.credentials).sort()).toEqual(["app", "migrator", "readonly"]);
    for (const role of ["migrator", "app", "readonly"] as const) {
      expect(r.values.credentials[role]).toEqual(
        aws && role === "migrator"
          ? { source: "aws-iam", secretArn: null, password: null }
          : aws
            ? {
                source: "aws-secrets-manager",
                secretArn: `arn:aws:secretsmanager:us-east-1:${accountOf(stack)}:secret:precog/${stack}/${role}`,
                password: null,
              }
            : { source: "pulumi-secret-output", secretArn: null, password: `pw-${p}-password-${role}-plaintext` },
      );
    }
    // Only a password is secret: the secret ARNs and the rest read without --show-secrets.
    for (const role of ["migrator", "app", "readonly"] as const) {
      const c = r.outputs.credentials[role];
      expect(await isSecret(c.password)).toBe(!aws);
      expect(await isSecret(c.secretArn)).toBe(false);
    }
    expect(await isSecret(r.outputs.credentials)).toBe(!aws);
    for (const plain of [
      "host",
      "port",
      "database",
      "roles",
      "pool",
      "instanceId",
      "instanceArn",
      "masterSecretArn",
      "logGroup",
    ] as const)
      expect(await isSecret(r.outputs[plain])).toBe(false);
  });

  it("keeps the provisioning connection's password secret; on RDS logs in as the deployer by IAM, no password, verifying the server's certificate", async () => {
    const r = await run(stack);
    const provider = r.byName(`${p}-db-admin`).inputs;
    expect(t.server === "aws" ? provider : { ...provider, password: secretInput(provider.password) }).toEqual(
      t.server === "aws"
        ? {
            host: `${p}-server-instance.abc123.us-east-1.rds.amazonaws.com`,
            port: "5432",
            username: DEPLOYER_LOGIN,
            awsRdsIamAuth: "true",
            awsRdsIamRegion: "us-east-1",
            sslmode: "verify-full",
            sslrootcert: RDS_CA_BUNDLE,
            superuser: "false",
            database: "postgres",
            connectTimeout: "15",
          }
        : {
            host: "127.0.0.1",
            port: "54329",
            username: "postgres",
            password: "local-admin-password",
            sslmode: "disable",
            superuser: "true",
            database: "postgres",
            connectTimeout: "15",
          },
    );
  });

  const protectedStack = stack === "staging" || stack === "prod";
  it(protectedStack ? "protects every data resource" : "leaves resources unprotected", async () => {
    const r = await run(stack);
    const dataTypes = [
      "postgresql:index/role:Role",
      "postgresql:index/database:Database",
      "random:index/randomPassword:RandomPassword",
      "aws:rds/instance:Instance",
      "aws:secretsmanager/secret:Secret",
    ];
    const data = r.resources.filter((x) => dataTypes.includes(x.type));
    // On aws the migrator has no generated password and no secret.
    expect(data.length).toBe(t.server === "aws" ? 11 : 9);
    for (const x of data) expect([x.name, x.opts.protect ?? false]).toEqual([x.name, protectedStack]);
  });

  it("registers the migration provider at the top, aliased to where stacks deployed before had it", async () => {
    const r = await run(stack);
    const provider = r.byName(`precog-${stack}-migrations-provider`);
    expect(provider.opts.parent).toBeUndefined();
    expect(provider.opts.protect ?? false).toBe(protectedStack);
    const aliases = (provider.opts.aliases ?? []) as { parent: pulumi.Input<string> }[];
    expect(aliases).toHaveLength(1);
    const former = await new Promise((resolve) => pulumi.output(aliases[0].parent).apply(resolve));
    expect(former).toBe(
      `urn:pulumi:${stack}::precog::precog:environment:PrecogEnvironment$precog:migrations:PrecogMigrations::precog-${stack}-migrations`,
    );
  });
});

describe("aws stacks", () => {
  it.each(["staging", "prod"] as const)(
    "%s: RDS instance encrypted, private, backed up, TLS forced, audited",
    async (stack) => {
      const r = await run(stack);
      const prod = stack === "prod";
      expect(r.byName(`precog-${stack}-server-instance`).inputs).toMatchObject({
        engine: "postgres",
        engineVersion: "16",
        instanceClass: prod ? "db.r6g.large" : "db.t4g.medium",
        allocatedStorage: prod ? 200 : 50,
        maxAllocatedStorage: prod ? 1000 : 200,
        storageEncrypted: true,
        publiclyAccessible: false,
        manageMasterUserPassword: true,
        iamDatabaseAuthenticationEnabled: true,
        username: "precog_admin",
        backupRetentionPeriod: prod ? 30 : 7,
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `precog-${stack}-final-0a1b2c3d`,
        kmsKeyId: KEY(stack),
        masterUserSecretKmsKeyId: KEY(stack),
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: KEY(stack),
        performanceInsightsRetentionPeriod: prod ? 731 : 7,
        monitoringInterval: prod ? 15 : 60,
        monitoringRoleArn: `arn:aws:iam::${accountOf(stack)}:role/precog-${stack}-server-monitoring`,
        maintenanceWindow: "sun:05:00-sun:06:00",
        backupWindow: "03:00-04:00",
        deleteAutomatedBackups: false,
        caCertIdentifier: "rds-ca-rsa2048-g1",
        engineLifecycleSupport: "open-source-rds-extended-support-disabled",
        multiAz: true,
        dbSubnetGroupName: `precog-${stack}-server-subnets`,
        parameterGroupName: `precog-${stack}-postgres16`,
        vpcSecurityGroupIds: [prod ? "sg-0b22prod00000001" : "sg-0a11staging0000001"],
      });
      expect(r.byName(`precog-${stack}-server-instance`).inputs.password).toBeUndefined();
      const params = r
        .byName(`precog-${stack}-server-params`)
        .inputs.parameters.map((x: any) => `${x.name}=${x.value}`);
      expect(params.sort()).toEqual(
        [
          "rds.force_ssl=1",
          `max_connections=${prod ? 400 : 200}`,
          "log_connections=1",
          "log_disconnections=1",
          "log_statement=none",
          "log_min_duration_statement=-1",
          "log_min_error_statement=panic",
          "shared_preload_libraries=pg_stat_statements,pgaudit",
          "pgaudit.log=ddl,role",
          "pgaudit.log_parameter=0",
        ].sort(),
      );
      const byToken = (a: { token: string; inputs: unknown }, b: { token: string; inputs: unknown }) =>
        `${a.token}${JSON.stringify(a.inputs)}`.localeCompare(`${b.token}${JSON.stringify(b.inputs)}`);
      expect([...r.invokes].sort(byToken)).toEqual(
        [
          // Each role secret as it is now (rotation owns it), its address checked against the
          // instance's; never the master's (the deployer logs in by IAM), no migrator's (it has none).
          ...["app", "readonly"].map((role) => ({
            token: "aws:secretsmanager/getSecretVersion:getSecretVersion",
            inputs: { secretId: `arn:aws:secretsmanager:us-east-1:${accountOf(stack)}:secret:precog/${stack}/${role}` },
          })),
          // The rotation function's VPC (from the first subnet), and the proxy's; the region is
          // the provider's (aws:region).
          ...["rotation", "proxy"].map(() => ({
            token: "aws:ec2/getSubnet:getSubnet",
            inputs: { id: prod ? "subnet-0b22prod00000001" : "subnet-0a11staging0000001" },
          })),
        ].sort(byToken),
      );
    },
  );

  it.each(["staging", "prod"] as const)(
    "%s: one rotated secret per password login (app, readonly), in the rotation functions' shape, the pool bounds as tags",
    async (stack) => {
      const r = await run(stack);
      const t = stackFacts(stack);
      const users = { app: t.appRole, readonly: `${t.database}_readonly` };
      // No secret for the roles without login, nor for the migrator, which logs in by IAM.
      expect(
        r
          .ofType("aws:secretsmanager/secret:Secret")
          .map((x) => x.inputs.name)
          .sort(),
      ).toEqual(["app", "readonly"].map((role) => `precog/${stack}/${role}`));
      for (const role of ["app", "readonly"] as const) {
        // The pool bounds are config: tags Pulumi rewrites on every up, on the app role's secret only.
        const pool =
          role === "app" ? { "precog:pool.min": String(t.poolMin), "precog:pool.max": String(t.poolMax) } : {};
        expect(r.byName(`precog-${stack}-secret-${role}-secret`).inputs).toEqual({
          name: `precog/${stack}/${role}`,
          description: `Precog ${stack}: credentials of the ${role} login role (rotated by Secrets Manager)`,
          recoveryWindowInDays: 30,
          kmsKeyId: KEY(stack),
          tags: { "precog:environment": stack, "precog:role": role, ...pool },
        });
        const version = r.byName(`precog-${stack}-secret-${role}-initial`);
        expect(JSON.parse(secretInput(version.inputs.secretString))).toEqual({
          engine: "postgres",
          host: `precog-${stack}-server-instance.abc123.us-east-1.rds.amazonaws.com`,
          port: 5432,
          dbname: t.database,
          username: users[role],
          password: `pw-precog-${stack}-password-${role}-plaintext`,
        });
        expect(version.inputs.versionStages).toEqual(["AWSCURRENT", "PRECOG_PULUMI_CREATED"]);
        expect(r.byName(`precog-${stack}-secret-${role}-rotation`).inputs).toEqual({
          secretId: `precog-${stack}-secret-${role}-secret-id`,
          rotationLambdaArn: `arn:aws:lambda:us-east-1:${accountOf(stack)}:function:precog-${stack}-rotation`,
          rotationRules: { automaticallyAfterDays: 30 },
          rotateImmediately: false,
        });
      }
    },
  );

  it.each(["staging", "prod"] as const)(
    "%s: a preview reads no secret value, not even a role secret's address",
    async (stack) => {
      const r = await runStack(stack, { preview: true, vars: stack === "prod" ? { PRECOG_PROD_PREVIEW: "yes" } : {} });
      expect(r.invokes.filter((i) => i.token.startsWith("aws:secretsmanager/"))).toEqual([]);
      expect(r.byName(`precog-${stack}-db-admin`).inputs.password).toBeUndefined();
    },
  );

  it.each(["staging", "prod"] as const)(
    "%s: pgaudit's extension in the database; KMS-encrypted log groups with the configured retention",
    async (stack) => {
      const r = await run(stack);
      const prod = stack === "prod";
      const account = prod ? "222222222222" : "111111111111";
      expect(r.byName(`precog-${stack}-db-extension-pgaudit`).inputs).toEqual({
        name: "pgaudit",
        database: stackFacts(stack).database,
      });
      const instance = r.byName(`precog-${stack}-server-instance`);
      expect(instance.inputs.identifier).toBe(`precog-${stack}`);
      expect(instance.inputs.enabledCloudwatchLogsExports).toEqual(["postgresql", "upgrade"]);
      expect(instance.opts.dependsOn).toHaveLength(3);
      for (const log of ["postgresql", "upgrade"]) {
        expect(r.byName(`precog-${stack}-server-log-${log}`).inputs).toMatchObject({
          name: `/aws/rds/instance/precog-${stack}/${log}`,
          retentionInDays: prod ? 365 : 30,
          kmsKeyId: `arn:aws:kms:us-east-1:${account}:key/precog-${stack}-server-key`,
        });
      }
      const key = r.byName(`precog-${stack}-server-key`);
      expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
      // Protected like the data (staging and prod), and kept by a destroy whatever the protection:
      // the backups a destroy leaves are encrypted with the key, the logs are the audit trail.
      for (const kept of [key, ...["postgresql", "upgrade"].map((l) => r.byName(`precog-${stack}-server-log-${l}`))])
        expect([kept.name, kept.opts.protect, kept.opts.retainOnDelete]).toEqual([kept.name, true, true]);
      const policy = JSON.parse(key.inputs.policy);
      expect(policy.Statement.map((x: any) => x.Principal)).toEqual([
        { AWS: `arn:aws:iam::${account}:root` },
        { Service: "logs.us-east-1.amazonaws.com" },
        { Service: "events.amazonaws.com" },
        { Service: "cloudwatch.amazonaws.com" },
        { Service: "events.rds.amazonaws.com" },
      ]);
      expect(policy.Statement[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toEqual([
        `arn:aws:logs:us-east-1:${account}:log-group:/aws/rds/instance/precog-${stack}/*`,
        `arn:aws:logs:us-east-1:${account}:log-group:/aws/rds/instance/precog-${stack}-replica-*`,
      ]);
    },
  );

  it.each(["staging", "prod"] as const)(
    "%s: the ARN outputs stay readable without --show-secrets when the engine hands them over as secrets",
    async (stack) => {
      const r = await runStack(stack, {
        secretArns: true,
        vars: stack === "prod" ? { PRECOG_PROD_CONFIRMED: "yes" } : {},
      });
      const arns = {
        instanceArn: r.outputs.instanceArn,
        masterSecretArn: r.outputs.masterSecretArn,
        ...Object.fromEntries(
          ["migrator", "app", "readonly"].map((role) => [role, r.outputs.credentials[role as "app"].secretArn]),
        ),
      };
      const secretness = Object.fromEntries(
        await Promise.all(Object.entries(arns).map(async ([k, v]) => [k, await isSecret(v)])),
      );
      expect(secretness).toEqual({
        instanceArn: false,
        masterSecretArn: false,
        migrator: false, // null: it has no secret
        app: false,
        readonly: false,
      });
      expect(r.values.credentials.app.secretArn).toBe(
        `arn:aws:secretsmanager:us-east-1:${accountOf(stack)}:secret:precog/${stack}/app`,
      );
      expect(r.values.masterSecretArn).toBe(MASTER_SECRET_ARN);
    },
  );

  it("refuses an aws stack without exactly one aws:allowedAccountIds account, and says how to set it", async () => {
    for (const ids of [undefined, [], ["111111111111", "222222222222"]]) {
      await expect(run2("staging", { "aws:allowedAccountIds": ids })).rejects.toThrow(
        /Stack "staging" \(Pulumi.staging.yaml\): aws:allowedAccountIds must list exactly one 12-digit AWS account.*pulumi config set --stack staging --path 'aws:allowedAccountIds\[0\]'/,
      );
    }
  });

  it.each(["staging", "prod"] as const)(
    "%s: Enhanced Monitoring's role has AWS's policy for it only",
    async (stack) => {
      const r = await run(stack);
      expect(JSON.parse(r.byName(`precog-${stack}-server-monitoring`).inputs.assumeRolePolicy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      expect(r.byName(`precog-${stack}-server-monitoring-policy`).inputs).toEqual({
        role: `precog-${stack}-server-monitoring-id`,
        policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
      });
    },
  );

  it("extendedSupport true enrols; monitoringIntervalSeconds 0 creates no monitoring role", async () => {
    const r = await run2("staging", { "precog:rds.extendedSupport": true, "precog:rds.monitoringIntervalSeconds": 0 });
    expect(r.byName("precog-staging-server-instance").inputs).toMatchObject({
      engineLifecycleSupport: "open-source-rds-extended-support",
      monitoringInterval: 0,
    });
    expect(r.byName("precog-staging-server-instance").inputs.monitoringRoleArn).toBeUndefined();
    // The proxy's role only: no monitoring role.
    expect(r.ofType("aws:iam/role:Role").map((x) => x.name)).toEqual(["precog-staging-proxy-role"]);
  });

  it("the rotation guarantee: Pulumi writes secret values and role passwords only at creation", async () => {
    const r = await run("staging");
    for (const v of r.ofType("aws:secretsmanager/secretVersion:SecretVersion"))
      expect(v.opts.ignoreChanges).toEqual(["secretString", "versionStages"]);
    const logins = r.ofType("postgresql:index/role:Role").filter((x) => x.inputs.login);
    expect(logins.map((x) => x.name).sort()).toEqual(
      ["app", "migrator", "readonly"].map((role) => `precog-staging-db-role-${role}`),
    );
    for (const role of logins) expect(role.opts.ignoreChanges).toEqual(["password"]);
  });

  it("prod puts an RDS Proxy in front of the app role, authenticated by its secret", async () => {
    const r = await run("prod");
    expect(r.byName("precog-prod-proxy-proxy").inputs).toMatchObject({
      name: "precog-prod",
      engineFamily: "POSTGRESQL",
      requireTls: true,
      vpcSubnetIds: ["subnet-0b22prod00000001", "subnet-0b22prod00000002", "subnet-0b22prod00000003"],
      auths: [
        {
          authScheme: "SECRETS",
          secretArn: "arn:aws:secretsmanager:us-east-1:222222222222:secret:precog/prod/app",
          iamAuth: "DISABLED",
        },
      ],
    });
    expect(r.byName("precog-prod-proxy-targets").inputs.connectionPoolConfig).toEqual({ maxConnectionsPercent: 50 });
    // Its own security group: the app's groups in, the database's groups out, and the database admitting it.
    const proxy = r.byName("precog-prod-proxy-proxy");
    expect(proxy.inputs.vpcSecurityGroupIds).toEqual(["precog-prod-proxy-sg-id"]);
    expect(r.byName("precog-prod-proxy-sg").inputs).toEqual({
      vpcId: SUBNET_VPC,
      description: "Precog prod: the RDS Proxy (from the app, to the database only)",
      tags: { "precog:environment": "prod" },
    });
    const rule = (name: string) => r.byName(`precog-prod-proxy-${name}`).inputs;
    const tcp = { ipProtocol: "tcp", fromPort: 5432, toPort: 5432 };
    expect([
      rule("from-sg-0b22prod00000002"),
      rule("to-sg-0b22prod00000001"),
      rule("db-ingress-sg-0b22prod00000001"),
    ]).toEqual([
      {
        securityGroupId: "precog-prod-proxy-sg-id",
        referencedSecurityGroupId: "sg-0b22prod00000002",
        ...tcp,
        description: "Precog prod: the app",
      },
      {
        securityGroupId: "precog-prod-proxy-sg-id",
        referencedSecurityGroupId: "sg-0b22prod00000001",
        ...tcp,
        description: "Precog prod: the database",
      },
      {
        securityGroupId: "sg-0b22prod00000001",
        referencedSecurityGroupId: "precog-prod-proxy-sg-id",
        ...tcp,
        description: "Precog prod: the RDS Proxy",
      },
    ]);
    expect(dependencyNames(proxy).sort()).toEqual([
      "precog-prod-proxy-db-ingress-sg-0b22prod00000001",
      "precog-prod-proxy-from-sg-0b22prod00000002",
      "precog-prod-proxy-to-sg-0b22prod00000001",
    ]);
    // What these allow and deny, as AWS decides it: tests/infra/aws-access.test.ts.
    expect(JSON.parse(r.byName("precog-prod-proxy-read-secret").inputs.policy).Statement).toEqual([
      {
        Sid: "ReadTheAppSecret",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: ["arn:aws:secretsmanager:us-east-1:222222222222:secret:precog/prod/app"],
      },
      {
        Sid: "DecryptItThroughSecretsManager",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: ["arn:aws:kms:us-east-1:222222222222:key/precog-prod-server-key"],
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  it("rotationDays 0 creates no rotation schedule", async () => {
    const r = await runStack("staging", {
      config: { "precog:rotation.days": 0, "precog:rotation.lambdaArn": undefined },
    });
    expect(r.ofType("aws:secretsmanager/secretRotation:SecretRotation")).toEqual([]);
    expect(r.ofType("aws:secretsmanager/secretVersion:SecretVersion")).toHaveLength(2);
  });
});

describe("local admin password", () => {
  it("comes from precog:adminPassword when set, as a secret", async () => {
    const r = await runStack("test", {
      config: { "precog:adminPassword": "from-config-secret" },
      secretKeys: ["precog:adminPassword"],
    });
    expect(secretInput(r.byName("precog-test-db-admin").inputs.password)).toBe("from-config-secret");
  });

  it("names the missing file and the command that creates it", async () => {
    await expect(
      runStack("dev", { config: { "precog:local.adminPasswordFile": "/nonexistent/admin-password" } }),
    ).rejects.toThrow(
      'Stack "dev": the admin password file /nonexistent/admin-password (precog:local.adminPasswordFile) does not exist. ' +
        "Start the local server with `bash scripts/local-pg.sh start`, which creates it, or set the password with `pulumi config set --secret precog:adminPassword`.",
    );
  });
});
