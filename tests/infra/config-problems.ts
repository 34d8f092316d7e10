/**
 * A stack's config as parseConfig reads it (the stack file with overrides applied, precog:
 * keys only), and the problems parseConfig lists for it, one a line.
 */
import { parseConfig, type RawConfig } from "../../src/config/parse";
import type { SecretKey } from "../../src/config/schema";
import type { ConfigOverrides } from "../../testbed/config-overrides";
import { stackConfig } from "./harness";

export function raw(stack: string, overrides: ConfigOverrides = {}, secrets: SecretKey[] = []): RawConfig {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackConfig(stack, overrides)))
    if (k.startsWith("precog:")) values[k.slice("precog:".length)] = v;
  return { values, secrets };
}

/** The problems parseConfig finds in the stack's config with `overrides` (none: an empty list). */
export function problemsOf(stack: string, overrides: ConfigOverrides): string[] {
  try {
    parseConfig(stack, raw(stack, overrides));
    return [];
  } catch (e) {
    return (e as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.replace(/^ {2}- /, ""));
  }
}
