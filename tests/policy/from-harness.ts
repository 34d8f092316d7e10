/**
 * The policy pack's view of a stack (policy/resources.ts) from the mock harness's records: secret
 * wire markers unwrapped into `secretPaths`, the mock's ids (`<name>-id`) as `id`, dependsOn as names.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackResource } from "../../policy/resources";
import type { Recorded } from "../infra/harness";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function fromHarness(records: readonly Recorded[]): StackResource[] {
  return records.map((r) => {
    const secretPaths: string[] = [];
    const walk = (value: unknown, path: string): unknown => {
      if (Array.isArray(value)) return value.map((x, i) => walk(x, `${path}[${i}]`));
      if (value && typeof value === "object") {
        const v = value as Record<string, unknown>;
        if (SECRET_SIG in v) {
          secretPaths.push(path);
          return walk(v.value, path);
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path ? `${path}.${k}` : k)]));
      }
      return value;
    };
    const props = { id: `${r.name}-id`, ...(walk(r.inputs, "") as Record<string, unknown>) };
    const dependsOn = ([] as unknown[]).concat(r.opts.dependsOn ?? []) as pulumi.Resource[];
    return {
      type: r.type,
      name: r.name,
      props,
      secretPaths,
      protect: r.opts.protect === true,
      dependencies: dependsOn.map((d) => (d as unknown as { __name: string }).__name),
    };
  });
}

/** A copy of `resources` with the named one's props changed by `edit`. */
export function editResource(
  resources: readonly StackResource[],
  name: string,
  edit: (r: StackResource) => Partial<StackResource>,
): StackResource[] {
  if (!resources.some((r) => r.name === name)) throw new Error(`no resource ${name} to edit`);
  return resources.map((r) => (r.name === name ? { ...r, ...edit(r) } : r));
}
