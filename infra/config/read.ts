/**
 * Reads the stack's `precog:*` config from the Pulumi runtime as raw strings, for parseConfig.
 */
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./keys";

export function readRawConfig(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(":", 2);
    if (ns === NAMESPACE && name !== undefined) raw[name] = value;
  }
  return raw;
}
