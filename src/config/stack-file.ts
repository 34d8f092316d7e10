/**
 * A committed stack file, `Pulumi.<env>.yaml`, read through the config schema: the one home of an
 * environment's values (database, app role, pool bounds, server) for code that runs without a
 * deployed stack: the command's and the application's defaults when a variable is unset, and the
 * tests. The file is handed to parseConfig as the Pulumi CLI hands config to the program
 * (structured values as JSON text, a secret only as "set"), so it can say nothing the program
 * would refuse, and a broken file is reported as the program reports it.
 *
 * What the YAML parser made of a file is kept in `node_modules/.cache/precog-db/` beside it, with
 * the file's text and a stamp of this module's code: the next process that finds the same text
 * read by the same code takes it from there and does not load the parser (74 modules, about half
 * of those the command loads). Any other text, or other code, is parsed again.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Environment } from "../env/environment";
import { writeFileAtomically } from "../fs/write-atomically";
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
    config = parseConfig(env, cachedRawConfig(projectDir, env, text));
    read.set(file, config);
  }
  return config;
}

/** Where the parsed form of `Pulumi.<env>.yaml` of `projectDir` is kept. */
export function stackCacheFile(projectDir: string, env: Environment): string {
  return join(projectDir, "node_modules", ".cache", "precog-db", `stack-${env}.json`);
}

/**
 * rawConfigOf(text), from the cache when it holds the same text; else parsed and written there. A
 * cache that cannot be read or written is only slower: the file is parsed.
 */
function cachedRawConfig(projectDir: string, env: Environment, text: string): RawConfig {
  const cache = stackCacheFile(projectDir, env);
  const code = codeStamp();
  try {
    const kept = JSON.parse(readFileSync(cache, "utf8")) as { text?: unknown; code?: unknown; raw?: RawConfig };
    if (kept.text === text && kept.code === code && kept.raw) return kept.raw;
  } catch {
    // No cache yet, or a damaged one: parse.
  }
  const raw = rawConfigOf(text);
  try {
    mkdirSync(dirname(cache), { recursive: true });
    writeFileAtomically(cache, JSON.stringify({ text, code, raw }));
  } catch {
    // A read-only install: parse every time.
  }
  return raw;
}

/** This module's file, as a stamp: a build that changes how files are read does not take an older build's cache. */
function codeStamp(): string {
  const st = statSync(__filename, { throwIfNoEntry: false });
  return st ? `${st.size}:${st.mtimeMs}` : "";
}

/** A stack file's `precog:*` values as the CLI hands them to the program, and which secrets it sets. */
export function rawConfigOf(stackFileText: string): RawConfig {
  // Loaded here: a process that finds the stack file in the cache never loads the YAML parser.
  const { parse } = require("yaml") as typeof import("yaml");
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
