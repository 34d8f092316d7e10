/**
 * `.env` files, for the application and the precog-db command alike: written private and whole
 * (`writeEnvFile`, by scripts/env-file.ts and `precog-db rotate`), read with Node's own parser
 * (`util.parseEnv`, the same syntax as `node --env-file`), then overlaid by the process
 * environment, so a variable exported in the shell or set by the deployment wins over the file.
 * Nothing here touches `process.env`: callers get a merged, read-only view and pass it on.
 *
 * Two rules keep a file or a blank from weakening the guards:
 * - An empty value counts as unset at every layer: `PRECOG_ENV=` in the shell does not hide
 *   `PRECOG_ENV=prod` in the file (it would otherwise turn prod into dev "by default").
 * - Prod confirmation is never read from a file: a file that sets PRECOG_PROD_CONFIRMED is refused,
 *   as a persistent file would confirm every later command.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseEnv } from "node:util";

/** A read-only view of environment variables. */
export type Vars = Readonly<Record<string, string | undefined>>;

/** Where the variables came from, for messages. */
export interface LoadedVars {
  /** The merged variables: file values overlaid by the process environment. */
  readonly vars: Vars;
  /** Absolute path of the `.env` file that was read, or undefined when none was. */
  readonly file: string | undefined;
}

export interface LoadVarsOptions {
  /**
   * The `.env` file to read. Default: `.env` in the current directory, silently skipped when it
   * does not exist. An explicitly named file must exist. `false` reads no file.
   */
  readonly envFile?: string | false;
  /** The process environment to overlay. Default: `process.env`. */
  readonly env?: Vars;
}

/**
 * Variables that count only when they come from the process's own environment (or a flag), never
 * from a file.
 */
export const PROCESS_ONLY_VARIABLES: readonly string[] = Object.freeze(["PRECOG_PROD_CONFIRMED"]);

/**
 * Reads one `.env` file; throws naming the file when it cannot be read, or when it sets a
 * variable that only the process environment may set ({@link PROCESS_ONLY_VARIABLES}).
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`Cannot read the env file ${path}: ${(cause as Error).message}`, { cause });
  }
  const parsed = parseEnv(text);
  const processOnly = PROCESS_ONLY_VARIABLES.filter((k) => parsed[k] !== undefined);
  if (processOnly.length > 0) {
    throw new Error(
      `The env file ${path} sets ${processOnly.join(", ")}: prod confirmation counts only from the command's own ` +
        `environment, never from a file (a file would confirm every later command). Remove the line from ${path} and ` +
        `set PRECOG_PROD_CONFIRMED=yes for the one command that needs it.`,
    );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The variables the application runs with: the `.env` file (if any) with the process environment
 * on top. An empty string counts as unset: an empty value in the environment leaves the file's
 * value in place, so `PRECOG_ENV=` in the shell cannot turn the file's `PRECOG_ENV=prod` into dev.
 */
export function loadVars(options: LoadVarsOptions = {}): LoadedVars {
  const env = options.env ?? process.env;
  if (options.envFile === false) return { vars: Object.freeze({ ...env }), file: undefined };
  const explicit = options.envFile !== undefined;
  const file = resolve(options.envFile ?? ".env");
  if (!explicit && !existsSync(file)) return { vars: Object.freeze({ ...env }), file: undefined };
  const fromFile = readEnvFile(file);
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || (v === "" && merged[k] !== undefined && merged[k] !== "")) continue;
    merged[k] = v;
  }
  return { vars: Object.freeze(merged), file };
}

/**
 * Writes `text` to `out` as a private file swapped in whole: a new file in the same folder, created
 * exclusively (never an existing file or a link) with mode 0600 before a byte of it is written,
 * flushed, then renamed over `out`. A reader sees the old file or the new one, never half of one,
 * and the passwords never go into the old file, whatever its mode. `out` a symbolic link is refused.
 */
export function writeEnvFile(out: string, text: string): void {
  const existing = lstatOrUndefined(out);
  if (existing?.isSymbolicLink()) {
    throw new Error(
      `${out} is a symbolic link (to ${readlinkSync(out)}): the env file is written only as a file of its own, never through a link. Remove the link, or pass --out <file>. Nothing was written.`,
    );
  }
  const temporary = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      fchmodSync(fd, 0o600); // the umask can only narrow the mode; this makes it exactly 0600
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, out);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw new Error(`Could not write ${out}: ${(cause as Error).message}. The file is as it was.`, { cause });
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
