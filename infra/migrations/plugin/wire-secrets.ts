/**
 * Secrets as the engine sends them to a provider that accepts secrets: `{ <SECRET_SIG>: <SECRET>,
 * value }` wherever a value is secret. The provider works on plain values (`unwrapSecrets`), and
 * marks its outputs secret wherever the same property of its inputs held a secret
 * (`secretLike`), as the engine itself does for providers that do not accept secrets: so the
 * connection's password is a secret in the state and in every output.
 */

/** The wire marker of a secret value (the Pulumi protocol's constants). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Wire = unknown;

function isSecret(v: Wire): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function containsSecret(v: Wire): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecret);
  return false;
}

function secret(value: unknown): Wire {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/**
 * The value with every secret replaced by what it holds. What holds no secret is returned as it
 * is, not copied: the state's ledger and file list (hundreds of entries) are most of what the
 * engine sends, and the secret is the connection alone.
 */
export function unwrapSecrets<T = unknown>(v: Wire): T {
  return unwrap(v) as T;
}

function unwrap(v: Wire): unknown {
  if (isSecret(v)) return unwrap(v.value);
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    v.forEach((x, i) => {
      const plain = unwrap(x);
      if (plain === x) return;
      copy ??= [...v];
      copy[i] = plain;
    });
    return copy ?? v;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v)) {
    const plain = unwrap(x);
    if (plain === x) continue;
    copy ??= { ...v };
    copy[k] = plain;
  }
  return copy ?? v;
}

/**
 * `outs` with each property made secret where the same property of `ins` holds a secret: objects
 * property by property, anything else whole (a list with one secret in it becomes a secret list).
 */
export function secretLike(outs: object, ins: Wire): Record<string, unknown> {
  const inputs = isPlainObject(ins) ? ins : {};
  return Object.fromEntries(
    Object.entries(outs).map(([k, out]) => {
      const input = inputs[k];
      if (input === undefined || !containsSecret(input)) return [k, out];
      if (!isSecret(input) && isPlainObject(input) && isPlainObject(out)) return [k, secretLike(out, input)];
      return [k, secret(out)];
    }),
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
