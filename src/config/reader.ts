/**
 * Reader: checks values against their schema fields (./fields.ts), fills in defaults, and collects
 * problems, each named by its key path (`precog:rds.backupRetentionDays`), instead of stopping at
 * the first, so that a stack's every problem is reported at once. After a problem it returns a
 * placeholder (NaN, "", false, []) so the other checks can go on.
 */
import { canBeOmitted, type Field, type ObjectField } from "./fields";
import { NAMESPACE } from "./schema";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export class Reader {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${NAMESPACE}:${path}: ${message}`);
  }

  /** The value of the field at `path`, which is `undefined` when the stack does not set it. */
  field(path: string, spec: Field, value: unknown): unknown {
    if (value === undefined) return this.absent(path, spec);
    switch (spec.type) {
      case "object":
        if (typeof value === "object" && value !== null && !Array.isArray(value))
          return this.group(path, spec, value as Record<string, unknown>);
        this.problem(
          path,
          `${show(value)} is not an object: set its fields with \`pulumi config set --path '${NAMESPACE}:${path}.<field>' <value>\``,
        );
        return placeholderGroup(path, spec);
      case "string":
        return this.string(path, spec, value);
      case "integer":
        return this.integer(path, spec.min, spec.max, value);
      case "boolean":
        if (value === true || value === "true") return true;
        if (value === false || value === "false") return false;
        this.problem(path, `${show(value)} is not true or false`);
        return false;
      case "list":
        if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) {
          this.problem(
            path,
            `must be a list of strings (e.g. \`pulumi config set --path '${NAMESPACE}:${path}[0]' <value>\`)`,
          );
          return [];
        }
        if (value.length === 0) return this.absent(path, spec);
        return value;
    }
  }

  /** The fields of a group, with unknown ones reported. */
  group(path: string, spec: ObjectField, value: Readonly<Record<string, unknown>>): Record<string, unknown> {
    for (const name of Object.keys(value)) {
      if (!(name in spec.fields))
        this.problem(`${path}.${name}`, "unknown field: remove it, or check its spelling against Pulumi.yaml");
    }
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(spec.fields)) {
      const v = this.field(`${path}.${name}`, field, value[name]);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  private absent(path: string, spec: Field): unknown {
    if (spec.type === "object") {
      if (spec.optional) return undefined;
      if (canBeOmitted(spec)) return this.group(path, spec, {});
      const needed = Object.keys(spec.fields).filter((name) => !canBeOmitted(spec.fields[name]));
      this.problem(
        path,
        `missing: set its fields ${needed.join(", ")} with \`pulumi config set --path '${NAMESPACE}:${path}.<field>' <value>\``,
      );
      return placeholderGroup(path, spec);
    }
    if (spec.type !== "list" && spec.default !== undefined) return spec.default;
    if ((spec.type === "string" || spec.type === "integer") && spec.optional) return undefined;
    const nested = path.includes(".");
    const where = spec.type === "list" ? `${path}[0]` : path;
    this.problem(
      path,
      `missing: set it with \`pulumi config set ${nested || spec.type === "list" ? `--path '${NAMESPACE}:${where}'` : `${NAMESPACE}:${path}`} <value>\``,
    );
    return placeholder(spec);
  }

  private string(path: string, spec: Extract<Field, { type: "string" }>, value: unknown): string {
    if (typeof value !== "string") {
      this.problem(path, `${show(value)} is not a string: quote it`);
      return "";
    }
    if (value === "" && spec.default === undefined && !spec.optional) return this.absent(path, spec) as string;
    if (spec.identifier && !IDENTIFIER.test(value)) {
      this.problem(
        path,
        `"${value}" is not a plain PostgreSQL identifier (lower-case letters, digits and _, at most 63)`,
      );
    }
    if (spec.oneOf && !spec.oneOf.includes(value))
      this.problem(path, `"${value}" is not one of ${spec.oneOf.join(", ")}`);
    return value;
  }

  private integer(path: string, min: number, max: number | undefined, value: unknown): number {
    const n =
      typeof value === "number"
        ? value
        : typeof value === "string" && /^-?\d+$/.test(value.trim())
          ? Number(value)
          : NaN;
    if (!Number.isInteger(n)) {
      this.problem(path, `${show(value)} is not a whole number`);
      return NaN;
    }
    if (n < min || (max !== undefined && n > max)) {
      this.problem(path, max === undefined ? `${n} is below the minimum of ${min}` : `${n} is outside ${min}..${max}`);
    }
    return n;
  }
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}

function placeholder(spec: Exclude<Field, ObjectField>): unknown {
  return { string: "", integer: NaN, boolean: false, list: [] }[spec.type];
}

/** A group's shape with placeholders, for the checks that run after a problem in it. */
function placeholderGroup(path: string, spec: ObjectField): Record<string, unknown> {
  return new Reader().group(path, spec, {});
}
