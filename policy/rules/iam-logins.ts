/**
 * Issue 26, item 6, as a rule: on a stack with an RDS instance, the deploy-time logins (the
 * deployer the postgresql provider connects as, and the migrator) log in by IAM database
 * authentication only, so no deploy-time password is in state or a preview. The instance enables
 * IAM authentication; the provider logs in by it (awsRdsIamAuth), with no password and not as the
 * master; the migrator has no password and is granted rds_iam; neither has a Secrets Manager
 * secret or a rotation; the master is never granted rds_iam (it stays the break-glass login).
 * docs/aws.md, "IAM database logins", has the why.
 */
import { DEPLOYER_LOGIN, MASTER_LOGIN } from "../../src/env/roles";
import {
  ofType,
  type Rule,
  roleKey,
  type StackResource,
  strictOnStagingAndProd,
  TYPES,
  type Violation,
} from "../resources";

const RDS_IAM = "rds_iam";
/** The logins that log in by IAM only, as a role secret's `precog:role` tag or name would say. */
const IAM_ONLY = ["migrator", "deployer"];

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const isTrue = (v: unknown) => v === true || v === "true";

/** The login a secret holds, by its `precog:role` tag, else the last part of its name (`precog/<env>/<role>`). */
function secretLogin(s: StackResource): string | undefined {
  const tag = (s.props.tags as Record<string, unknown> | undefined)?.["precog:role"];
  if (typeof tag === "string") return tag;
  const name = s.props.name;
  return typeof name === "string" ? name.split("/").pop() : undefined;
}

export const iamDatabaseLogins: Rule = {
  name: "iam-database-logins",
  description:
    "On an RDS stack the deployer (the postgresql provider's login) and the migrator log in by IAM database authentication only: the instance enables it, the provider uses it without a password and not as the master, the migrator has no password and is granted rds_iam, neither has a secret or a rotation, and the master is never granted rds_iam.",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const instances = ofType(resources, TYPES.rdsInstance);
    if (instances.length === 0) return [];
    const out: Violation[] = [];
    for (const i of instances)
      if (!isTrue(i.props.iamDatabaseAuthenticationEnabled))
        out.push({
          resource: i.name,
          message:
            "IAM database authentication is off (iamDatabaseAuthenticationEnabled must be true): the deployer and the migrator log in by IAM only",
        });
    for (const p of ofType(resources, TYPES.postgresqlProvider)) {
      const problems = [
        !isTrue(p.props.awsRdsIamAuth) && "does not log in by IAM (awsRdsIamAuth)",
        p.props.password !== undefined && "has a password",
        p.props.username === MASTER_LOGIN && `logs in as the master ${MASTER_LOGIN}`,
      ].filter((x): x is string => typeof x === "string");
      if (problems.length > 0)
        out.push({
          resource: p.name,
          message: `the postgresql provider ${problems.join(", ")}; it logs in as ${DEPLOYER_LOGIN} by IAM, with no password (precog-db bootstrap-sql creates it)`,
        });
    }
    for (const r of ofType(resources, TYPES.role)) {
      const roles = list(r.props.roles);
      if (roleKey(r, resources) === "migrator") {
        if (r.props.password !== undefined)
          out.push({
            resource: r.name,
            message: `the migrator ${String(r.props.name)} has a password; it logs in by IAM only: no password`,
          });
        if (!roles.includes(RDS_IAM))
          out.push({ resource: r.name, message: `the migrator ${String(r.props.name)} is not granted ${RDS_IAM}` });
      }
      if (r.props.name === MASTER_LOGIN && roles.includes(RDS_IAM))
        out.push({
          resource: r.name,
          message: `the master ${MASTER_LOGIN} is granted ${RDS_IAM}: it keeps its password for break-glass`,
        });
    }
    for (const g of ofType(resources, TYPES.grantRole))
      if (g.props.role === MASTER_LOGIN && g.props.grantRole === RDS_IAM)
        out.push({
          resource: g.name,
          message: `grants ${RDS_IAM} to the master ${MASTER_LOGIN}: it keeps its password for break-glass`,
        });
    const iamSecrets = ofType(resources, TYPES.secret).filter((s) => IAM_ONLY.includes(secretLogin(s) ?? ""));
    for (const s of iamSecrets)
      out.push({
        resource: s.name,
        message: `secret ${String(s.props.name)} holds credentials of the ${secretLogin(s)}, which logs in by IAM only: no secret, no rotation`,
      });
    for (const rot of ofType(resources, TYPES.secretRotation))
      if (
        iamSecrets.some(
          (s) => rot.dependencies.includes(s.name) || (s.props.id !== undefined && rot.props.secretId === s.props.id),
        )
      )
        out.push({ resource: rot.name, message: "rotates the secret of a login that logs in by IAM only: remove it" });
    return out;
  },
};
