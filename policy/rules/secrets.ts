/** No password in any plain input or output; every Secrets Manager secret rotates. */
import {
  everywhere,
  isSecretPath,
  leaves,
  ofType,
  type Rule,
  type StackResource,
  strictOnStagingAndProd,
  TYPES,
  type Violation,
} from "../resources";

/** Property keys that hold a password or a credential document. */
const PASSWORD_KEY = /password|secretstring|^result$/i;

/** Keys matching PASSWORD_KEY that name something else: flags and references, not values. */
const NOT_A_PASSWORD = /^manageMasterUserPassword$|Arn$|KmsKeyId$/;

function plainPasswords(r: StackResource): string[] {
  const paths: string[] = [];
  for (const { path, key, value } of leaves(r.props)) {
    if (typeof value !== "string" || value === "") continue;
    if (key === "result" && r.type !== TYPES.password) continue;
    if (!PASSWORD_KEY.test(key) || NOT_A_PASSWORD.test(key)) continue;
    if (!isSecretPath(r, path)) paths.push(path);
  }
  return paths;
}

export const noPlainPasswords: Rule = {
  name: "no-plain-passwords",
  description:
    "No password (a property named like password or secretString, or a generated password's result) in any plain, non-secret input or output.",
  scope: "resource",
  level: everywhere,
  check(resources) {
    return resources.flatMap((r) =>
      plainPasswords(r).map((path) => ({
        resource: r.name,
        message: `${path} holds a password as plain text; pass it as a secret (pulumi.secret, requireSecret)`,
      })),
    );
  },
};

export const secretsRotate: Rule = {
  name: "secrets-rotate",
  description: "Every Secrets Manager secret has a rotation schedule (a SecretRotation on it, precog:rotation).",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const rotations = ofType(resources, TYPES.secretRotation);
    const out: Violation[] = [];
    for (const s of ofType(resources, TYPES.secret)) {
      // The rotation names the secret by id (an input dependency; during a preview the id is unknown).
      const onThisSecret = (rot: StackResource) =>
        rot.dependencies.includes(s.name) || (s.props.id !== undefined && rot.props.secretId === s.props.id);
      const rotated = rotations.some(
        (rot) =>
          onThisSecret(rot) &&
          Number(
            (rot.props.rotationRules as { automaticallyAfterDays?: unknown } | undefined)?.automaticallyAfterDays,
          ) > 0,
      );
      if (!rotated)
        out.push({
          resource: s.name,
          message: `secret ${String(s.props.name)} has no rotation schedule; set precog:rotation.days above 0`,
        });
    }
    return out;
  },
};
