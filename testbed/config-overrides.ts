/**
 * Config overrides for tests, written the way `pulumi config set --path` names them: a key
 * (`precog:pool`) or a path into a structured key (`precog:rds.backupRetentionDays`). A value of
 * `undefined` removes the key or field. Used by the mock harness and by the engine's project copy.
 */

export type ConfigOverrides = Readonly<Record<string, unknown>>;

/** `config` (stack-file keys to values) with `overrides` applied; the input is left untouched. */
export function applyOverrides(
  config: Readonly<Record<string, unknown>>,
  overrides: ConfigOverrides,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone({ ...config });
  for (const [path, value] of Object.entries(overrides)) {
    const [key, ...fields] = path.split(".");
    if (fields.length === 0) {
      if (value === undefined) delete out[key];
      else out[key] = value;
      continue;
    }
    const last = fields[fields.length - 1];
    let group = out;
    for (const f of [key, ...fields.slice(0, -1)]) {
      group[f] ??= {};
      group = group[f] as Record<string, unknown>;
    }
    if (value === undefined) delete group[last];
    else group[last] = value;
  }
  return out;
}
