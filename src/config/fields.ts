/**
 * The vocabulary of the config schema (./schema.ts): what a field can be, and the TypeScript type
 * a parsed field has. The schema is written in these terms once; the parser, the rendering into
 * Pulumi.yaml and the PrecogConfig type all follow from it.
 */

interface FieldBase {
  /** One sentence, with units; the type, range and default are added when rendered. */
  readonly description: string;
}

export interface StringField extends FieldBase {
  readonly type: "string";
  readonly default?: string;
  /** Absent means what the description says (no default value stands in for it). */
  readonly optional?: true;
  /** A plain PostgreSQL identifier: lower-case letters, digits and _, at most 63. */
  readonly identifier?: true;
  readonly oneOf?: readonly string[];
}

export interface IntegerField extends FieldBase {
  readonly type: "integer";
  readonly default?: number;
  readonly optional?: true;
  readonly min: number;
  readonly max?: number;
}

export interface BooleanField extends FieldBase {
  readonly type: "boolean";
  readonly default: boolean;
}

/** A non-empty list of strings. */
export interface ListField extends FieldBase {
  readonly type: "list";
}

/**
 * A group of fields. Absent, an `optional` group is absent from the parsed config too; any other
 * group whose fields all have defaults reads as those defaults; the rest are required.
 */
export interface ObjectField extends FieldBase {
  readonly type: "object";
  readonly optional?: true;
  readonly fields: Readonly<Record<string, Field>>;
}

export type Field = StringField | IntegerField | BooleanField | ListField | ObjectField;

/** The parsed value of a field. */
export type FieldValue<F> = F extends { type: "object"; fields: infer Fs }
  ? GroupValue<Fs>
  : F extends { type: "string"; oneOf: readonly (infer U)[] }
    ? U
    : F extends { type: "string" }
      ? string
      : F extends { type: "integer" }
        ? number
        : F extends { type: "boolean" }
          ? boolean
          : F extends { type: "list" }
            ? readonly string[]
            : never;

type OptionalKeys<Fs> = { [K in keyof Fs]: Fs[K] extends { optional: true } ? K : never }[keyof Fs];

/** The parsed value of a group: one readonly property per field, optional ones possibly undefined. */
export type GroupValue<Fs> = { readonly [K in Exclude<keyof Fs, OptionalKeys<Fs>>]: FieldValue<Fs[K]> } & {
  readonly [K in OptionalKeys<Fs>]?: FieldValue<Fs[K]>;
};

/** Whether a field may be left out: it has a default, is optional, or is a group of such fields. */
export function canBeOmitted(field: Field): boolean {
  if (field.type === "object") return field.optional === true || Object.values(field.fields).every(canBeOmitted);
  return field.type !== "list" && (field.default !== undefined || ("optional" in field && field.optional === true));
}
