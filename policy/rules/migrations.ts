/**
 * The migration component present and ordered after the roles and grants, so that migrations run as
 * the owner once the privileges exist. The component's resource is the project's own provider's
 * (`precog-migrations:index:Migrations`), named `<stack prefix>-migrations`.
 * Mandatory on staging and prod; advisory on dev and test.
 */
import { ofType, type Rule, type StackResource, strictOnStagingAndProd, TYPES, type Violation } from "../resources";

const isMigrations = (r: StackResource) => r.type === TYPES.migrations && r.name.endsWith("-migrations");

/** Names of everything `start` depends on, directly or through other resources. */
function dependsOnTransitively(start: StackResource, byName: Map<string, StackResource>): Set<string> {
  const seen = new Set<string>();
  const todo = [...start.dependencies];
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    todo.push(...(byName.get(n)?.dependencies ?? []));
  }
  return seen;
}

export const migrationsAfterRoles: Rule = {
  name: "migrations-after-roles",
  description:
    "The migration component (a precog-migrations:index:Migrations named *-migrations) is present and depends on every role and grant.",
  scope: "stack",
  level: strictOnStagingAndProd,
  check(resources) {
    const components = resources.filter(isMigrations);
    if (components.length === 0) {
      // The stack, or where it is not among them (the program's resources alone), the environment component.
      const anchor =
        resources.find((r) => r.type === TYPES.stack) ??
        resources.find((r) => r.type === TYPES.environment) ??
        resources[0];
      return [
        {
          resource: anchor?.name ?? "(stack)",
          message: "no migration component (a precog-migrations:index:Migrations named *-migrations) in the stack",
        },
      ];
    }
    const byName = new Map(resources.map((r) => [r.name, r]));
    const out: Violation[] = [];
    const before = [
      ...ofType(resources, TYPES.role),
      ...ofType(resources, TYPES.grant),
      ...ofType(resources, TYPES.defaultPrivileges),
    ];
    for (const m of components) {
      const deps = dependsOnTransitively(m, byName);
      const missing = before.filter((r) => !deps.has(r.name)).map((r) => r.name);
      if (missing.length)
        out.push({
          resource: m.name,
          message: `runs without waiting for ${missing.join(", ")}; give it dependsOn the roles and grants`,
        });
    }
    return out;
  },
};
