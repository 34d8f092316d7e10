/**
 * @pulumi/policy 1.21 hands validation functions their resources' properties with secrets already
 * unwrapped, so a policy cannot tell a secret from a plain value. The engine does send the secret
 * markers; the library drops them in `deserializeProperties(props, proxySecrets=false)` and keeps
 * them (as `Secret` objects behind a proxy that unwraps on read) with `proxySecrets=true`, the mode
 * it uses for remediations. This module switches validation to that mode: reads through `props`
 * are unchanged, and `splitSecrets` finds the secrets in the proxy's target.
 *
 * It reaches into the library's internal modules, so @pulumi/policy is pinned to an exact version;
 * without this, the mandatory no-plain-passwords rule refuses every stack (the admin provider's
 * password looks plain), which tests/e2e/policy.test.ts's `up` of dev would report.
 */
const deserialize = require("@pulumi/policy/deserialize") as {
  deserializeProperties(s: unknown, proxySecrets: boolean): unknown;
};
const proxy = require("@pulumi/policy/proxy") as { getSpecialProxyTarget: string; isSpecialProxy: string } & Record<
  string,
  unknown
>;

import { Secret } from "@pulumi/policy";
import { UNKNOWN } from "./resources";

/** The library's markers for values not known during a preview. */
const UNKNOWN_MARKERS = new Set(
  Object.entries(proxy)
    .filter(([k]) => /^unknown[A-Z]\w*Value$/.test(k))
    .map(([, v]) => v),
);

let installed = false;

export function keepSecretMarkers(): void {
  if (installed) return;
  const original = deserialize.deserializeProperties;
  deserialize.deserializeProperties = (struct: unknown) => original(struct, true);
  installed = true;
}

/** The raw object behind the library's proxies. */
function unproxied(value: unknown): unknown {
  let v = value;
  while (isProxy(v)) v = v[proxy.getSpecialProxyTarget];
  return v;
}

function isProxy(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[proxy.isSpecialProxy] === true;
}

/** Plain values (UNKNOWN for those not known yet) and the paths of the secrets among them. */
export function splitSecrets(props: unknown): { plain: Record<string, unknown>; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    const v = unproxied(value);
    if (UNKNOWN_MARKERS.has(v)) return UNKNOWN;
    if (v instanceof Secret) {
      secretPaths.push(path);
      return walk(v.value, path);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path ? `${path}.${k}` : k)]));
    }
    return v;
  };
  return { plain: walk(props, "") as Record<string, unknown>, secretPaths };
}
