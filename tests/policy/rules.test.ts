/**
 * The policy pack's rule functions on the four committed stacks (through the mock harness) and on
 * fixtures that break each rule: a broken fixture fails naming the resource.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Context,
  environmentOf,
  type Rule,
  type StackResource,
  strictOnStagingAndProd,
  TYPES,
} from "../../policy/resources";
import { RULES } from "../../policy/rules";
import { backupsOutliveTheStack, proxyOwnSecurityGroup, secretReadersDecrypt } from "../../policy/rules/aws";
import { prodDataProtected } from "../../policy/rules/data";
import { iamDatabaseLogins } from "../../policy/rules/iam-logins";
import { migrationsAfterRoles } from "../../policy/rules/migrations";
import { rdsInstanceSafe, rdsTlsAndAudit } from "../../policy/rules/rds";
import {
  appRolesOwnNothing,
  databaseOwnerUnreachable,
  loginRolesLimited,
  publicRevoked,
} from "../../policy/rules/roles";
import { noPlainPasswords, secretsRotate } from "../../policy/rules/secrets";
import type { ConfigOverrides } from "../../testbed/config-overrides";
import { adminPasswordFile } from "../helpers/password-file";
import { runStack, STACKS, type Stack } from "../infra/harness";
import { editResource, fromHarness } from "./from-harness";

const PROD_OK = { PRECOG_PROD_CONFIRMED: "yes", USER: "tester" };
const PASSWORD_FILE = adminPasswordFile();
const ctx = (environment: string): Context => ({ environment, minimumBackupRetentionDays: 7 });

async function resourcesOf(stack: Stack, config?: ConfigOverrides): Promise<StackResource[]> {
  const local = stack === "dev" || stack === "test" ? { "precog:local.adminPasswordFile": PASSWORD_FILE } : {};
  return fromHarness((await runStack(stack, { config: { ...local, ...config }, vars: PROD_OK })).resources);
}

const committed = {} as Record<Stack, StackResource[]>;
beforeAll(async () => {
  for (const s of STACKS) committed[s] = await resourcesOf(s);
});

const check = (rule: Rule, resources: readonly StackResource[], environment: string) =>
  rule.check(resources, ctx(environment));
const names = (rule: Rule, resources: readonly StackResource[], environment: string) =>
  [...new Set(check(rule, resources, environment).map((v) => v.resource))].sort();

describe("on the four committed stacks", () => {
  it.each(STACKS)("%s: every rule passes", (stack) => {
    for (const rule of RULES) expect([rule.name, check(rule, committed[stack], stack)]).toEqual([rule.name, []]);
  });

  it("the rules actually see the resources they judge", () => {
    expect(committed.prod.filter((r) => r.type === TYPES.role)).toHaveLength(5);
    expect(committed.prod.filter((r) => r.type === TYPES.secretRotation)).toHaveLength(2);
    expect(committed.prod.find((r) => r.name === "precog-prod-db-role-app")?.secretPaths).toEqual(["password"]);
  });
});

describe("a stack's environment is its config's, not its name (issue 27, item 5)", () => {
  const urn = (stack: string, name: string) => `urn:pulumi:${stack}::precog::postgresql:index/role:Role::${name}`;

  it("a stack prod-eu whose program names its resources precog-prod-… is prod: every rule mandatory", () => {
    for (const r of committed.prod) {
      const environment = environmentOf(r.name, urn("prod-eu", r.name));
      if (r.type === TYPES.stack) continue; // the root stack is named after the stack itself
      expect([r.name, environment]).toEqual([r.name, "prod"]);
      expect(strictOnStagingAndProd(environment)).toBe("mandatory");
    }
  });

  it("a stack named prod whose config says dev is dev; a resource the program did not name falls back to the stack", () => {
    expect(environmentOf("precog-dev-db-role-app", urn("prod", "precog-dev-db-role-app"))).toBe("dev");
    expect(environmentOf("precog-dev", urn("prod", "precog-dev"))).toBe("dev");
    expect(environmentOf("default_3_18_1", urn("staging", "default_3_18_1"))).toBe("staging");
    expect(environmentOf("precog-devices", urn("test", "precog-devices"))).toBe("test");
  });
});

describe("enforcement levels", () => {
  it("every rule is mandatory on staging and prod, except prod protection on staging", () => {
    const levels = Object.fromEntries(
      RULES.map((r) => [r.name, ["dev", "test", "staging", "prod"].map((e) => r.level(e)).join(" ")]),
    );
    expect(levels).toEqual({
      "prod-data-protected": "advisory advisory advisory mandatory",
      "login-roles-limited": "mandatory mandatory mandatory mandatory",
      "app-roles-own-nothing": "mandatory mandatory mandatory mandatory",
      "database-owner-unreachable": "mandatory mandatory mandatory mandatory",
      "public-revoked": "mandatory mandatory mandatory mandatory",
      "no-plain-passwords": "mandatory mandatory mandatory mandatory",
      "rds-instance-safe": "advisory advisory mandatory mandatory",
      "rds-tls-and-audit": "advisory advisory mandatory mandatory",
      "rds-master-password": "advisory advisory mandatory mandatory",
      "secrets-rotate": "advisory advisory mandatory mandatory",
      "migrations-after-roles": "advisory advisory mandatory mandatory",
      "secret-readers-decrypt": "advisory advisory mandatory mandatory",
      "proxy-own-security-group": "advisory advisory mandatory mandatory",
      "backups-outlive-the-stack": "advisory advisory mandatory mandatory",
      "iam-database-logins": "advisory advisory mandatory mandatory",
      "restore-keeps-identifier": "advisory advisory mandatory mandatory",
      "prod-backups-copied": "advisory advisory advisory mandatory",
      "staging-rehearses-prod": "advisory advisory mandatory advisory",
    });
  });
});

describe("each rule fails, naming the resource, on what breaks it", () => {
  it("prod-data-protected: prod with precog:protect false", async () => {
    const r = await resourcesOf("prod", { "precog:protect": false });
    expect(names(prodDataProtected, r, "prod")).toEqual([
      "precog-prod-db-database",
      "precog-prod-db-role-app",
      "precog-prod-db-role-databaseOwner",
      "precog-prod-db-role-migrator",
      "precog-prod-db-role-owner",
      "precog-prod-db-role-readonly",
      "precog-prod-password-app",
      "precog-prod-password-readonly",
      "precog-prod-secret-app-secret",
      "precog-prod-secret-readonly-secret",
      "precog-prod-server-instance",
    ]);
    expect(check(prodDataProtected, r, "prod")[0].message).toMatch(
      /is not protected on prod; set precog:protect: true$/,
    );
  });

  it("login-roles-limited: a role without a limit, a superuser, one that creates roles", () => {
    let r = editResource(committed.test, "precog-test-db-role-app", (x) => ({
      props: { ...x.props, connectionLimit: undefined, superuser: true },
    }));
    r = editResource(r, "precog-test-db-role-migrator", (x) => ({ props: { ...x.props, createRole: true } }));
    expect(check(loginRolesLimited, r, "test")).toEqual([
      {
        resource: "precog-test-db-role-app",
        message: "login role precog_test_user has no CONNECTION LIMIT (connectionLimit undefined); set one",
      },
      {
        resource: "precog-test-db-role-app",
        message:
          "login role precog_test_user has superuser: true; login roles get none of superuser, createDatabase, createRole",
      },
      {
        resource: "precog-test-db-role-migrator",
        message:
          "login role precog_test_migrator has createRole: true; login roles get none of superuser, createDatabase, createRole",
      },
    ]);
  });

  it("app-roles-own-nothing: the database owned by the app role, CREATE granted to the read-only role", () => {
    let r = editResource(committed.staging, "precog-staging-db-database", (x) => ({
      props: { ...x.props, owner: "precog_staging_user" },
    }));
    r = editResource(r, "precog-staging-db-grant-readonly-schema", (x) => ({
      props: { ...x.props, privileges: ["CREATE", "USAGE"] },
    }));
    expect(check(appRolesOwnNothing, r, "staging")).toEqual([
      {
        resource: "precog-staging-db-database",
        message: "database precog_staging is owned by precog_staging_user; the database-owner role must own it",
      },
      {
        resource: "precog-staging-db-grant-readonly-schema",
        message:
          'precog_staging_readonly is granted ["CREATE","USAGE"] on schema; the app and read-only roles get no CREATE, TEMPORARY or ALL',
      },
    ]);
  });

  it("public-revoked: PUBLIC's schema revoke missing, PUBLIC granted CONNECT", () => {
    let r = committed.dev.filter((x) => x.name !== "precog-dev-db-grant-public-schema");
    r = editResource(r, "precog-dev-db-grant-public-database", (x) => ({
      props: { ...x.props, privileges: ["CONNECT"] },
    }));
    expect(check(publicRevoked, r, "dev")).toEqual([
      {
        resource: "precog-dev-db-grant-public-database",
        message: 'PUBLIC is granted ["CONNECT"] on database; PUBLIC gets nothing',
      },
      {
        resource: "precog-dev-db-database",
        message:
          "PUBLIC's rights on the database of database precog_dev are not revoked (no Grant to public with privileges [])",
      },
      {
        resource: "precog-dev-db-database",
        message:
          "PUBLIC's rights on the schema of database precog_dev are not revoked (no Grant to public with privileges [])",
      },
    ]);
  });

  it("no-plain-passwords: a role's password and a secret's value sent as plain text", () => {
    let r = editResource(committed.prod, "precog-prod-db-role-readonly", () => ({ secretPaths: [] }));
    r = editResource(r, "precog-prod-secret-app-initial", () => ({ secretPaths: [] }));
    expect(check(noPlainPasswords, r, "prod")).toEqual([
      {
        resource: "precog-prod-db-role-readonly",
        message: "password holds a password as plain text; pass it as a secret (pulumi.secret, requireSecret)",
      },
      {
        resource: "precog-prod-secret-app-initial",
        message: "secretString holds a password as plain text; pass it as a secret (pulumi.secret, requireSecret)",
      },
    ]);
  });

  it("rds-instance-safe: staging with short backups, no deletion protection, no final snapshot", async () => {
    const r = await resourcesOf("staging", {
      "precog:rds.backupRetentionDays": 3,
      "precog:rds.deletionProtection": false,
      "precog:rds.finalSnapshot": false,
    });
    expect(check(rdsInstanceSafe, r, "staging")).toEqual([
      {
        resource: "precog-staging-server-instance",
        message: "deletion protection is off (precog:rds.deletionProtection)",
      },
      {
        resource: "precog-staging-server-instance",
        message: "no final snapshot on deletion (precog:rds.finalSnapshot)",
      },
      {
        resource: "precog-staging-server-instance",
        message: "backups are kept 3 day(s), fewer than the minimum 7 (precog:rds.backupRetentionDays)",
      },
    ]);
    const exposed = editResource(committed.prod, "precog-prod-server-instance", (x) => ({
      props: { ...x.props, storageEncrypted: false, publiclyAccessible: true, enabledCloudwatchLogsExports: [] },
    }));
    expect(check(rdsInstanceSafe, exposed, "prod").map((v) => v.message)).toEqual([
      "storage is not encrypted (storageEncrypted)",
      "the instance may be publicly accessible (publiclyAccessible must be false)",
      "PostgreSQL logs are not exported (enabledCloudwatchLogsExports must include postgresql)",
    ]);
  });

  it("rds-tls-and-audit: a parameter group without rds.force_ssl", () => {
    const r = editResource(committed.prod, "precog-prod-server-params", (x) => ({
      props: {
        ...x.props,
        parameters: (x.props.parameters as { name: string }[]).filter((p) => p.name !== "rds.force_ssl"),
      },
    }));
    expect(check(rdsTlsAndAudit, r, "prod")).toEqual([
      { resource: "precog-prod-server-params", message: "parameter rds.force_ssl is unset, must be 1" },
    ]);
  });

  it("rds-tls-and-audit: statement logging on (passwords in the log) and pgaudit off", () => {
    const r = editResource(committed.prod, "precog-prod-server-params", (x) => ({
      props: {
        ...x.props,
        parameters: (x.props.parameters as { name: string; value: string }[])
          .filter((p) => p.name !== "pgaudit.log")
          .map((p) => (p.name === "log_statement" ? { ...p, value: "ddl" } : p)),
      },
    }));
    expect(check(rdsTlsAndAudit, r, "prod")).toEqual([
      { resource: "precog-prod-server-params", message: "parameter log_statement is ddl, must be none" },
      { resource: "precog-prod-server-params", message: "parameter pgaudit.log is unset, must include ddl,role" },
    ]);
  });

  it("database-owner-unreachable: the database owned by the owner role, which the migrator is a member of, or by a login", () => {
    for (const stack of STACKS) expect(check(databaseOwnerUnreachable, committed[stack], stack)).toEqual([]);
    const byOwner = editResource(committed.staging, "precog-staging-db-database", (x) => ({
      props: { ...x.props, owner: "precog_staging_owner" },
    }));
    expect(check(databaseOwnerUnreachable, byOwner, "staging")).toEqual([
      {
        resource: "precog-staging-db-role-migrator",
        message:
          "role precog_staging_migrator is a member of precog_staging_owner, the owner of database precog_staging, so it can drop the database; take precog_staging_owner out of its roles",
      },
    ]);
    const byLogin = editResource(committed.staging, "precog-staging-db-database", (x) => ({
      props: { ...x.props, owner: "precog_staging_migrator" },
    }));
    expect(check(databaseOwnerUnreachable, byLogin, "staging")).toEqual([
      {
        resource: "precog-staging-db-database",
        message:
          "database precog_staging is owned by precog_staging_migrator, a login role; own it by a role with login: false that no role is a member of",
      },
    ]);
  });

  it("secrets-rotate: staging with precog:rotation.days 0", async () => {
    const r = await resourcesOf("staging", { "precog:rotation.days": 0 });
    expect(names(secretsRotate, r, "staging")).toEqual([
      "precog-staging-secret-app-secret",
      "precog-staging-secret-readonly-secret",
    ]);
    expect(check(secretsRotate, r, "staging")[0].message).toBe(
      "secret precog/staging/readonly has no rotation schedule; set precog:rotation.days above 0",
    );
  });

  it("migrations-after-roles: a stack without the migration component", () => {
    const without = committed.staging.filter((r) => !(r.type === TYPES.migrations && r.name.endsWith("-migrations")));
    expect(check(migrationsAfterRoles, without, "staging")).toEqual([
      {
        resource: "precog-staging",
        message: "no migration component (a precog-migrations:index:Migrations named *-migrations) in the stack",
      },
    ]);
  });

  it("migrations-after-roles: a migration component that does not wait for the grants", () => {
    const others = committed.test.filter((r) => !(r.type === TYPES.migrations && r.name.endsWith("-migrations")));
    const component = (dependencies: string[]): StackResource => ({
      type: TYPES.migrations,
      name: "precog-test-migrations",
      props: {},
      secretPaths: [],
      protect: false,
      dependencies,
    });
    const before = committed.test
      .filter((r) => [TYPES.role, TYPES.grant, TYPES.defaultPrivileges].includes(r.type as never))
      .map((r) => r.name);
    const rolesOnly = before.filter((n) => n.includes("-role-"));
    const [v] = check(migrationsAfterRoles, [...others, component(rolesOnly)], "test");
    expect(v.resource).toBe("precog-test-migrations");
    expect(v.message).toMatch(
      /^runs without waiting for precog-test-db-grant-public-database, .*; give it dependsOn the roles and grants$/,
    );
    expect(check(migrationsAfterRoles, [...others, component(before)], "test")).toEqual([]);
  });
});

describe("the aws rules, on a stack that breaks each and the committed one that keeps it", () => {
  it("secret-readers-decrypt: the rotation application without the key or a version, a proxy policy without kms:Decrypt, one that decrypts directly", () => {
    for (const stack of ["staging", "prod"] as const)
      expect(check(secretReadersDecrypt, committed[stack], stack)).toEqual([]);
    let r = editResource(committed.prod, "precog-prod-rotation-function", (x) => {
      const { kmsKeyArn: _, ...parameters } = x.props.parameters as Record<string, unknown>;
      return { props: { ...x.props, semanticVersion: undefined, parameters } };
    });
    const readOnly = (policy: unknown) => {
      const doc = JSON.parse(String(policy));
      return JSON.stringify({ ...doc, Statement: doc.Statement.slice(0, 1) });
    };
    r = editResource(r, "precog-prod-proxy-read-secret", (x) => ({
      props: { ...x.props, policy: readOnly(x.props.policy) },
    }));
    expect(check(secretReadersDecrypt, r, "prod")).toEqual([
      {
        resource: "precog-prod-rotation-function",
        message: "the rotation application has no semanticVersion; pin one",
      },
      {
        resource: "precog-prod-rotation-function",
        message:
          "the rotation application is given no kmsKeyArn, but the role secrets are encrypted with a customer-managed key: its function could not decrypt them",
      },
      {
        resource: "precog-prod-proxy-read-secret",
        message:
          "reads a secret encrypted with the stack's key but has no kms:Decrypt limited to Secrets Manager (Condition StringEquals kms:ViaService secretsmanager.<region>.amazonaws.com)",
      },
    ]);
    const direct = editResource(committed.prod, "precog-prod-proxy-read-secret", (x) => {
      const doc = JSON.parse(String(x.props.policy));
      const { Condition: _, ...unconditioned } = doc.Statement[1];
      return {
        props: { ...x.props, policy: JSON.stringify({ ...doc, Statement: [doc.Statement[0], unconditioned] }) },
      };
    });
    expect(names(secretReadersDecrypt, direct, "prod")).toEqual(["precog-prod-proxy-read-secret"]);
  });

  it("proxy-own-security-group: the proxy in the database's security group", () => {
    expect(check(proxyOwnSecurityGroup, committed.prod, "prod")).toEqual([]);
    const r = editResource(committed.prod, "precog-prod-proxy-proxy", (x) => ({
      props: { ...x.props, vpcSecurityGroupIds: ["sg-0b22prod00000001"] },
    }));
    expect(check(proxyOwnSecurityGroup, r, "prod")).toEqual([
      {
        resource: "precog-prod-proxy-proxy",
        message:
          "the proxy is in the database's security group(s) sg-0b22prod00000001; give it its own (precog:rds.proxy.clientSecurityGroupIds)",
      },
    ]);
  });

  it("backups-outlive-the-stack: staging unprotected, its automated backups deleted with the instance", async () => {
    for (const stack of ["staging", "prod"] as const)
      expect(check(backupsOutliveTheStack, committed[stack], stack)).toEqual([]);
    const unprotected = await resourcesOf("staging", { "precog:protect": false });
    const r = editResource(unprotected, "precog-staging-server-instance", (x) => ({
      props: { ...x.props, deleteAutomatedBackups: true },
    }));
    expect(check(backupsOutliveTheStack, r, "staging")).toEqual([
      {
        resource: "precog-staging-server-key",
        message: "aws:kms/key:Key precog-staging-server-key is not protected; set precog:protect: true",
      },
      {
        resource: "precog-staging-server-log-postgresql",
        message:
          "aws:cloudwatch/logGroup:LogGroup precog-staging-server-log-postgresql is not protected; set precog:protect: true",
      },
      {
        resource: "precog-staging-server-log-upgrade",
        message:
          "aws:cloudwatch/logGroup:LogGroup precog-staging-server-log-upgrade is not protected; set precog:protect: true",
      },
      {
        resource: "precog-staging-server-instance",
        message: "the automated backups are deleted with the instance (deleteAutomatedBackups must be false)",
      },
      {
        resource: "precog-staging-server-instance",
        message: "aws:rds/instance:Instance precog-staging-server-instance is not protected; set precog:protect: true",
      },
    ]);
  });

  it("iam-database-logins: staging with IAM authentication off, the provider as the master by password, a migrator with a password, a secret and a rotation, the master granted rds_iam", () => {
    for (const stack of STACKS) expect([stack, check(iamDatabaseLogins, committed[stack], stack)]).toEqual([stack, []]);
    let r = editResource(committed.staging, "precog-staging-server-instance", (x) => ({
      props: { ...x.props, iamDatabaseAuthenticationEnabled: false },
    }));
    r = editResource(r, "precog-staging-db-admin", (x) => {
      const { awsRdsIamAuth: _, awsRdsIamRegion: __, ...props } = x.props;
      return { props: { ...props, username: "precog_admin", password: "from-the-master-secret" } };
    });
    r = editResource(r, "precog-staging-db-role-migrator", (x) => ({
      props: { ...x.props, password: "pw", roles: ["precog_staging_owner"] },
    }));
    const appSecret = r.find((x) => x.name === "precog-staging-secret-app-secret") as StackResource;
    const appRotation = r.find((x) => x.name === "precog-staging-secret-app-rotation") as StackResource;
    r = [
      ...r,
      {
        ...appSecret,
        name: "precog-staging-secret-migrator-secret",
        props: {
          ...appSecret.props,
          id: "precog-staging-secret-migrator-secret-id",
          name: "precog/staging/migrator",
          tags: { "precog:environment": "staging", "precog:role": "migrator" },
        },
      },
      {
        ...appRotation,
        name: "precog-staging-secret-migrator-rotation",
        props: { ...appRotation.props, secretId: "precog-staging-secret-migrator-secret-id" },
        dependencies: [],
      },
      {
        type: TYPES.grantRole,
        name: "precog-staging-master-iam",
        props: { role: "precog_admin", grantRole: "rds_iam" },
        secretPaths: [],
        protect: false,
        dependencies: [],
      },
    ];
    expect(check(iamDatabaseLogins, r, "staging")).toEqual([
      {
        resource: "precog-staging-server-instance",
        message:
          "IAM database authentication is off (iamDatabaseAuthenticationEnabled must be true): the deployer and the migrator log in by IAM only",
      },
      {
        resource: "precog-staging-db-admin",
        message:
          "the postgresql provider does not log in by IAM (awsRdsIamAuth), has a password, logs in as the master precog_admin; it logs in as precog_deployer by IAM, with no password (precog-db bootstrap-sql creates it)",
      },
      {
        resource: "precog-staging-db-role-migrator",
        message: "the migrator precog_staging_migrator has a password; it logs in by IAM only: no password",
      },
      {
        resource: "precog-staging-db-role-migrator",
        message: "the migrator precog_staging_migrator is not granted rds_iam",
      },
      {
        resource: "precog-staging-master-iam",
        message: "grants rds_iam to the master precog_admin: it keeps its password for break-glass",
      },
      {
        resource: "precog-staging-secret-migrator-secret",
        message:
          "secret precog/staging/migrator holds credentials of the migrator, which logs in by IAM only: no secret, no rotation",
      },
      {
        resource: "precog-staging-secret-migrator-rotation",
        message: "rotates the secret of a login that logs in by IAM only: remove it",
      },
    ]);
  });

  describe("secret-readers-decrypt reads actions and conditions as IAM does", () => {
    const READ = { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: ["arn:secret"] };
    const VIA = "secretsmanager.us-east-1.amazonaws.com";
    const withStatements = (statements: object[]) =>
      editResource(committed.prod, "precog-prod-proxy-read-secret", (x) => ({
        props: { ...x.props, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
      }));
    const decrypt = (action: unknown, condition?: object) => ({
      Effect: "Allow",
      Action: action,
      Resource: ["arn:key"],
      ...(condition ? { Condition: condition } : {}),
    });
    const flagged = (statements: object[]) =>
      names(secretReadersDecrypt, withStatements(statements), "prod").includes("precog-prod-proxy-read-secret");

    it.each([
      ["kms:Decrypt* without a condition", [READ, decrypt("kms:Decrypt*")], true],
      ["kms:*crypt without a condition", [READ, decrypt("kms:*crypt")], true],
      ["kms:De?rypt without a condition", [READ, decrypt("kms:De?rypt")], true],
      ["KMS:decrypt (case) without a condition", [READ, decrypt("KMS:decrypt")], true],
      [
        "NotAction that leaves kms:Decrypt allowed",
        [READ, { Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }],
        true,
      ],
      ["a wildcard read (secretsmanager:Get*) and no decrypt", [{ ...READ, Action: "secretsmanager:Get*" }], true],
      [
        "kms:Decrypt* through Secrets Manager",
        [READ, decrypt("kms:Decrypt*", { StringEquals: { "kms:ViaService": VIA } })],
        false,
      ],
      [
        "kms:*crypt, StringLike secretsmanager.*.amazonaws.com",
        [READ, decrypt("kms:*crypt", { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } })],
        false,
      ],
      ["StringLike * (any service)", [READ, decrypt("kms:Decrypt", { StringLike: { "kms:ViaService": "*" } })], true],
      [
        "StringLike secrets* (not pinned)",
        [READ, decrypt("kms:Decrypt", { StringLike: { "kms:ViaService": "secrets*" } })],
        true,
      ],
      [
        "StringLike s3.*.amazonaws.com",
        [READ, decrypt("kms:Decrypt", { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } })],
        true,
      ],
      [
        "StringEqualsIfExists (holds for a direct call)",
        [READ, decrypt("kms:Decrypt", { StringEqualsIfExists: { "kms:ViaService": VIA } })],
        true,
      ],
      [
        "the key named in another case (KMS:viaservice)",
        [READ, decrypt("kms:Decrypt", { StringEquals: { "KMS:viaservice": VIA } })],
        false,
      ],
      [
        "a second decrypting statement without the condition",
        [READ, decrypt("kms:Decrypt", { StringEquals: { "kms:ViaService": VIA } }), decrypt("kms:Decrypt*")],
        true,
      ],
    ] as [string, object[], boolean][])("%s", (_, statements, expected) => {
      expect(flagged(statements)).toBe(expected);
    });
  });
});
