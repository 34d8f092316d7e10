/**
 * Writes `.env.<stack>` for the application from a local stack's outputs (git-ignored, mode 0600):
 * DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD (the app's login), DB_MIGRATION_USER and
 * DB_MIGRATION_PASSWORD (the migrator, the login migrations run as, for precog-db), DB_POOL_MIN_CONN,
 * DB_POOL_MAX_CONN, PRECOG_ENV. Never for prod, and not for aws stacks, whose credentials live in
 * Secrets Manager. The file is created private and swapped in whole (`writeEnvFile`), never written
 * through a symbolic link.
 *
 *   node dist/pulumi/scripts/env-file.js <dev|test> [--out FILE]   (compiled by npm run build)
 *
 * Reads the outputs with `pulumi stack output --json --show-secrets`; prints the file's path, never
 * its password.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type LoginRole, migrationLogin, type RoleNames } from "../src/env/roles";

export interface LocalStackOutputs {
  environment: string;
  server: string;
  host: string;
  port: number;
  database: string;
  roles: RoleNames;
  pool: { min: number; max: number };
  credentials: Record<LoginRole, { password: string | null }>;
}

/** The .env text for a local stack's outputs; throws for prod and for aws stacks. */
export function renderEnvFile(o: LocalStackOutputs): string {
  if (o.environment === "prod") {
    throw new Error("Refusing to write an env file for prod: prod credentials stay in Secrets Manager.");
  }
  const migration = {
    user: migrationLogin(o.roles),
    password: o.credentials ? migrationLogin(o.credentials).password : null,
  };
  if (o.server !== "local" || !o.credentials?.app?.password || !migration.password) {
    throw new Error(
      `Stack "${o.environment}" keeps its credentials in Secrets Manager (server: ${o.server}); ` +
        "the app reads them from there, so there is no env file to write.",
    );
  }
  const lines: Array<[string, string | number]> = [
    ["PRECOG_ENV", o.environment],
    ["DB_HOST", o.host],
    ["DB_PORT", o.port],
    ["DB_NAME", o.database],
    ["DB_USER", o.roles.app],
    ["DB_PASSWORD", o.credentials.app.password],
    ["DB_MIGRATION_USER", migration.user],
    ["DB_MIGRATION_PASSWORD", migration.password],
    ["DB_POOL_MIN_CONN", o.pool.min],
    ["DB_POOL_MAX_CONN", o.pool.max],
  ];
  return (
    `# Written by scripts/env-file.ts from stack "${o.environment}"; do not commit.\n` +
    lines.map(([k, v]) => `${k}=${envValue(k, String(v))}`).join("\n") +
    "\n"
  );
}

/** Characters a value may hold unquoted: Node's `.env` parser (util.parseEnv) reads them as they are. */
const PLAIN = /^[A-Za-z0-9_.,:/@%?&+=-]*$/;

/**
 * `value` as the `.env` parser reads it back whole: as it is when plain (generated passwords are
 * letters and digits), else in single quotes (read literally: a `#` is not a comment, nothing is
 * expanded), else in backquotes. A value with both, or a line break, is refused.
 */
export function envValue(key: string, value: string): string {
  if (PLAIN.test(value)) return value;
  if (!/[\r\n]/.test(value)) {
    if (!value.includes("'")) return `'${value}'`;
    if (!value.includes("`")) return `\`${value}\``;
  }
  throw new Error(
    `${key} holds a line break, or both a single quote and a backquote, which a .env line cannot carry: choose another value. Nothing was written.`,
  );
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

function main(argv: string[]): void {
  const stack = argv[0];
  if (!stack || stack.startsWith("-"))
    throw new Error("usage: node dist/pulumi/scripts/env-file.js <dev|test> [--out FILE]");
  if (stack === "prod")
    throw new Error("Refusing to write an env file for prod: prod credentials stay in Secrets Manager.");
  const outFlag = argv.indexOf("--out");
  const out = resolve(outFlag >= 0 ? argv[outFlag + 1] : `.env.${stack}`);
  const json = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  writeEnvFile(out, renderEnvFile(JSON.parse(json)));
  console.log(`wrote ${out} (mode 0600) for stack ${stack}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`env-file: ${(e as Error).message}`);
    process.exit(1);
  }
}
