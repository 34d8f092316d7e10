/**
 * Prints the `config:` block of Pulumi.yaml from infra/config/keys.ts, so the declarations the CLI
 * checks and the table the program reads are one thing. tests/infra/pulumi-yaml.test.ts fails when
 * Pulumi.yaml and this rendering disagree. Run: npx ts-node scripts/render-pulumi-yaml.ts
 */
import { stringify } from "yaml";
import { CONFIG_KEYS, type KeySpec } from "../infra/config/keys";
import { unsetMarker } from "../infra/config/parse";

export function renderConfigBlock(): Record<string, Record<string, unknown>> {
  const block: Record<string, Record<string, unknown>> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as Array<[string, KeySpec]>) {
    const entry: Record<string, unknown> = { type: spec.type };
    if (spec.type === "array") entry.items = { type: "string" };
    entry.description = spec.description;
    if (spec.default !== undefined) entry.default = spec.default;
    else if (spec.scope !== "all") entry.default = unsetMarker(spec);
    block[key] = entry;
  }
  return block;
}

if (require.main === module) process.stdout.write(stringify({ config: renderConfigBlock() }, { lineWidth: 0 }));
