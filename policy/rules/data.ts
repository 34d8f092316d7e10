/** Prod's data resources protected: the instance, the database, the roles, the passwords and the secrets. */
import { type Level, type Rule, TYPES } from "../resources";

const DATA_TYPES: readonly string[] = [TYPES.rdsInstance, TYPES.database, TYPES.role, TYPES.password, TYPES.secret];

export const prodDataProtected: Rule = {
  name: "prod-data-protected",
  description:
    "On prod, every data resource (RDS instance, database, roles, passwords, Secrets Manager secrets) is protected (precog:protect).",
  scope: "resource",
  // Only prod: staging and the local stacks are rebuilt at will (precog:protect false).
  level: (environment): Level => (environment === "prod" ? "mandatory" : "advisory"),
  check(resources, { environment }) {
    if (environment !== "prod") return [];
    return resources
      .filter((r) => DATA_TYPES.includes(r.type) && !r.protect)
      .map((r) => ({
        resource: r.name,
        message: `${r.type} ${r.name} is not protected on prod; set precog:protect: true`,
      }));
  },
};
