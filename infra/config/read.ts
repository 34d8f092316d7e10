/**
 * Reads the stack's `precog:*` config from the Pulumi runtime for parseConfig: the plain values as
 * Pulumi hands them over, and, through the secret config API, which secret keys are set. A secret
 * key's value is never copied into the plain values.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RawConfig } from "../../src/config/parse";
import { NAMESPACE, SECRET_KEYS, type SecretKey } from "../../src/config/schema";

export function readStackConfig(): RawConfig {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(":", 2);
    if (ns === NAMESPACE && name !== undefined && !(name in SECRET_KEYS)) values[name] = value;
  }
  const config = new pulumi.Config(NAMESPACE);
  const secrets = (Object.keys(SECRET_KEYS) as SecretKey[]).filter((key) => config.getSecret(key) !== undefined);
  return { values, secrets };
}
