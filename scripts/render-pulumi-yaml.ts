/**
 * Prints the `config:` block of Pulumi.yaml from src/config/schema.ts, so the declarations the CLI
 * checks and the table the program reads are one thing. The CLI's declarations have no place for a
 * structured key's fields, so each one's fields (type, range, default, meaning) are listed in its
 * description. tests/infra/pulumi-yaml.test.ts fails when Pulumi.yaml and this rendering disagree.
 * Run: npx ts-node scripts/render-pulumi-yaml.ts
 */
import { stringify } from "yaml";
import { canBeOmitted, type Field } from "../src/config/fields";
import { CONFIG_SCHEMA } from "../src/config/schema";

export function renderConfigBlock(): Record<string, Record<string, unknown>> {
  const block: Record<string, Record<string, unknown>> = {};
  for (const [key, spec] of Object.entries<Field>(CONFIG_SCHEMA)) {
    const entry: Record<string, unknown> = { type: spec.type === "list" ? "array" : spec.type };
    if (spec.type === "list") entry.items = { type: "string" };
    if (spec.type === "object") {
      entry.description = [spec.description, "Fields:", ...fieldLines(spec.fields, "  ")].join("\n");
      if (canBeOmitted(spec)) entry.default = {};
    } else {
      entry.description = spec.description;
      if (spec.type !== "list" && spec.default !== undefined) entry.default = spec.default;
    }
    block[key] = entry;
  }
  return block;
}

/** One line per field, `name: type, default. Meaning.`, a group's fields indented below it. */
function fieldLines(fields: Readonly<Record<string, Field>>, indent: string): string[] {
  return Object.entries(fields).flatMap(([name, f]) => [
    `${indent}${name}: ${typeOf(f)}, ${presence(f)}. ${f.description}`,
    ...(f.type === "object" ? fieldLines(f.fields, `${indent}  `) : []),
  ]);
}

function typeOf(f: Field): string {
  switch (f.type) {
    case "string":
      return f.oneOf ? `one of ${f.oneOf.join(", ")}` : f.identifier ? "identifier" : "string";
    case "integer":
      return f.max === undefined ? `integer >= ${f.min}` : `integer ${f.min}..${f.max}`;
    case "list":
      return "list of strings";
    default:
      return f.type;
  }
}

function presence(f: Field): string {
  if (f.type !== "object" && f.type !== "list" && f.default !== undefined)
    return `default ${JSON.stringify(f.default)}`;
  if (canBeOmitted(f)) return f.type === "object" && !f.optional ? "default {}" : "optional";
  return "required";
}

if (require.main === module) process.stdout.write(stringify({ config: renderConfigBlock() }, { lineWidth: 0 }));
