/**
 * Secrets as the engine sends them to a provider that accepts secrets: `{ <SECRET_SIG>: <SECRET>,
 * value }` wherever a value is secret. The provider works on plain values (`unwrapSecrets`), and
 * marks its outputs secret wherever the same property of its inputs held a secret
 * (`secretLike`), as the engine itself does for providers that do not accept secrets: so the
 * connection's password is a secret in the state and in every output. The marker is the SDK's
 * (`@pulumi/pulumi/runtime/rpc`, which the SDK's provider server loads anyway); its
 * `unwrapRpcSecret` unwraps one level only, so the walk through objects and lists is ours.
 */
import { isRpcSecret, specialSecretSig, specialSigKey, unwrapRpcSecret } from "@pulumi/pulumi/runtime/rpc";

type Wire = unknown;

/** A secret as the engine sends it (the SDK's own test of its marker). */
function isSecret(v: Wire): v is { value: unknown } {
  return isRpcSecret(v);
}

function containsSecret(v: Wire): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecret);
  return false;
}

/** `value` marked secret, with the SDK's constants of the wire marker. */
function secret(value: unknown): Wire {
  return { [specialSigKey]: specialSecretSig, value };
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
  if (isSecret(v)) return unwrap(unwrapRpcSecret(v));
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
