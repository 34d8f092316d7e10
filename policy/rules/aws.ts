/**
 * What the first real deploy of an aws stack needs beyond the resources' own safety settings
 * (./rds.ts): readers of the CMK-encrypted role secrets able to decrypt them (and only through
 * Secrets Manager), the RDS Proxy behind a security group of its own, and backups a destroy cannot
 * strand. Mandatory on staging and prod, advisory on any other aws stack (an ephemeral smoke stack).
 * docs/aws.md has the why of each.
 */
import { ofType, type Rule, strictOnStagingAndProd, TYPES, UNKNOWN, type Violation } from "../resources";
import { isReplica } from "./rds";

const SINGLE_USER_APPLICATION = /:applications\/SecretsManagerRDSPostgreSQL/;

// biome-ignore lint/suspicious/noExplicitAny: IAM statements are free-form JSON.
type Statement = Record<string, any>;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The statements of a policy document given as JSON text; undefined while it is not known (a preview). */
function statements(policy: unknown): Statement[] | undefined {
  if (typeof policy !== "string" || policy === UNKNOWN) return undefined;
  try {
    return list((JSON.parse(policy) as { Statement?: unknown }).Statement) as Statement[];
  } catch {
    return [];
  }
}

/** IAM's action matching: case-insensitive, `*` any run of characters, `?` any one. */
export function actionMatches(pattern: string, action: string): boolean {
  const source = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i").test(action);
}

/** Whether the statement allows `action`: by Action (with wildcards), or by NotAction not naming it. */
const allows = (s: Statement, action: string) =>
  s.Effect === "Allow" &&
  (s.NotAction !== undefined
    ? !list(s.NotAction).some((p) => actionMatches(String(p), action))
    : list(s.Action).some((p) => actionMatches(String(p), action)));

/**
 * Condition operators that, on a single-valued key, hold only when the key is present and equal
 * (or like) one of the values; an `...IfExists` operator also holds when the key is absent (a
 * direct call carries no kms:ViaService), so it restricts nothing.
 */
const EXACT = /^(ForAnyValue:)?StringEquals(IgnoreCase)?$/i;
const LIKE = /^(ForAnyValue:)?StringLike$/i;
const SECRETS_MANAGER_EXACT = /^secretsmanager\.[a-z0-9-]+\.amazonaws\.com$/i;

/** The statement holds only for calls through Secrets Manager: some operator pins kms:ViaService to it. */
function throughSecretsManagerOnly(s: Statement): boolean {
  const blocks = Object.entries((s.Condition ?? {}) as Record<string, Record<string, unknown>>);
  return blocks.some(([operator, keys]) => {
    const values = Object.entries(keys ?? {})
      .filter(([key]) => key.toLowerCase() === "kms:viaservice")
      .flatMap(([, v]) => list(v).map(String));
    if (values.length === 0) return false;
    if (EXACT.test(operator)) return values.every((v) => SECRETS_MANAGER_EXACT.test(v));
    // A pattern pins the service when the text before its first wildcard already names it.
    if (LIKE.test(operator)) return values.every((v) => v.split(/[*?]/)[0].toLowerCase().startsWith("secretsmanager."));
    return false;
  });
}

/** The role policy decrypts only through Secrets Manager: every statement allowing kms:Decrypt holds only for it. */
function decryptsThroughSecretsManagerOnly(all: Statement[]): boolean {
  const decrypts = all.filter((s) => allows(s, "kms:Decrypt"));
  return decrypts.length > 0 && decrypts.every(throughSecretsManagerOnly);
}

export const secretReadersDecrypt: Rule = {
  name: "secret-readers-decrypt",
  description:
    "Whoever reads the CMK-encrypted role secrets can decrypt them: AWS's rotation application gets the secrets' key (kmsKeyArn) and a pinned semanticVersion; an IAM role policy that reads a secret decrypts with kms:Decrypt through Secrets Manager only (kms:ViaService).",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const out: Violation[] = [];
    const encrypted = ofType(resources, TYPES.secret).some((s) => s.props.kmsKeyId !== undefined);
    for (const app of ofType(resources, TYPES.sarStack)) {
      if (!SINGLE_USER_APPLICATION.test(String(app.props.applicationId))) continue;
      const parameters = (app.props.parameters ?? {}) as Record<string, unknown>;
      if (!app.props.semanticVersion)
        out.push({ resource: app.name, message: "the rotation application has no semanticVersion; pin one" });
      if (encrypted && !parameters.kmsKeyArn)
        out.push({
          resource: app.name,
          message:
            "the rotation application is given no kmsKeyArn, but the role secrets are encrypted with a customer-managed key: its function could not decrypt them",
        });
    }
    for (const policy of ofType(resources, TYPES.rolePolicy)) {
      const all = statements(policy.props.policy);
      if (all === undefined || !all.some((s) => allows(s, "secretsmanager:GetSecretValue"))) continue;
      if (encrypted && !decryptsThroughSecretsManagerOnly(all))
        out.push({
          resource: policy.name,
          message:
            "reads a secret encrypted with the stack's key but has no kms:Decrypt limited to Secrets Manager (Condition StringEquals kms:ViaService secretsmanager.<region>.amazonaws.com)",
        });
    }
    return out;
  },
};

export const proxyOwnSecurityGroup: Rule = {
  name: "proxy-own-security-group",
  description:
    "An RDS Proxy has security groups of its own, none of the RDS instance's: what reaches the database must not reach the proxy through the same group, and the reverse.",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const databaseGroups = new Set(
      ofType(resources, TYPES.rdsInstance).flatMap((i) => list(i.props.vpcSecurityGroupIds)),
    );
    const out: Violation[] = [];
    for (const proxy of ofType(resources, TYPES.rdsProxy)) {
      const shared = list(proxy.props.vpcSecurityGroupIds).filter((g) => databaseGroups.has(g));
      if (shared.length > 0)
        out.push({
          resource: proxy.name,
          message: `the proxy is in the database's security group(s) ${shared.join(", ")}; give it its own (precog:rds.proxy.clientSecurityGroupIds)`,
        });
    }
    return out;
  },
};

/** What a destroy must not take with it: the backups' key, the audit logs, the instance. */
const KEPT_TYPES: readonly string[] = [TYPES.kmsKey, TYPES.logGroup, TYPES.rdsInstance];

export const backupsOutliveTheStack: Rule = {
  name: "backups-outlive-the-stack",
  description:
    "Destroying an aws stack never strands its backups: RDS keeps the automated backups (deleteAutomatedBackups false), and the KMS key, the log groups and the instance are protected (precog:protect; the program also marks the key and log groups retainOnDelete, which policies cannot see).",
  scope: "resource",
  level: strictOnStagingAndProd,
  check(resources) {
    const out: Violation[] = [];
    for (const r of resources) {
      // A read replica has no automated backups of its own: its source's are the stack's.
      if (r.type === TYPES.rdsInstance && !isReplica(r) && r.props.deleteAutomatedBackups !== false)
        out.push({
          resource: r.name,
          message: "the automated backups are deleted with the instance (deleteAutomatedBackups must be false)",
        });
      if (KEPT_TYPES.includes(r.type) && !r.protect)
        out.push({ resource: r.name, message: `${r.type} ${r.name} is not protected; set precog:protect: true` });
    }
    return out;
  },
};
