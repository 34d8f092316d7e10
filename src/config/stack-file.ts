/**
 * A committed stack file, `Pulumi.<env>.yaml`, read through the config schema: the one home of an
 * environment's values (database, app role, pool bounds, server) for code that runs without a
 * deployed stack: the command's and the application's defaults when a variable is unset, and the
 * tests. The file is handed to parseConfig as the Pulumi CLI hands config to the program
 * (structured values as JSON text, a secret only as "set"), so it can say nothing the program
 * would refuse, and a broken file is reported as the program reports it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import type { Environment } from "../env/environment";
import { type PrecogConfig, parseConfig, type RawConfig } from "./parse";
import { NAMESPACE, SECRET_KEYS, type SecretKey } from "./schema";

const read = new Map<string, PrecogConfig>();

/**
 * `Pulumi.<env>.yaml` of `projectDir` (default: the package's own folder, the nearest one above
 * this module that holds Pulumi.yaml), parsed and checked; read once per process.
 */
export function committedStack(env: Environment, projectDir = projectDirAbove(__dirname)): PrecogConfig {
  const file = join(projectDir, `Pulumi.${env}.yaml`);
  let config = read.get(file);
  if (config === undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new Error(`Cannot read ${file}, the ${env} environment's stack file: ${(cause as Error).message}`, {
        cause,
      });
    }
    config = parseConfig(env, rawConfigOf(text));
    read.set(file, config);
  }
  return config;
}

/** A stack file's `precog:*` values as the CLI hands them to the program, and which secrets it sets. */
export function rawConfigOf(stackFileText: string): RawConfig {
  const config: Record<string, unknown> = parse(stackFileText)?.config ?? {};
  const values: Record<string, string> = {};
  const secrets: SecretKey[] = [];
  for (const [key, value] of Object.entries(config)) {
    const [ns, name] = key.split(":", 2);
    if (ns !== NAMESPACE || name === undefined) continue;
    if (name in SECRET_KEYS) secrets.push(name as SecretKey);
    else values[name] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  }
  return { values, secrets };
}

function projectDirAbove(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`No Pulumi.yaml in ${start} or any folder above it: the stack files are missing.`);
  }
}
