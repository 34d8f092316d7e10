/**
 * Writes `.env.<stack>` for the application from a local stack's outputs (git-ignored, mode 0600):
 * DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD (the app's login), DB_MIGRATION_USER and
 * DB_MIGRATION_PASSWORD (the migrator, the login migrations run as, for precog-db), DB_POOL_MIN_CONN,
 * DB_POOL_MAX_CONN, PRECOG_ENV. Never for prod, and not for aws stacks, whose credentials live in
 * Secrets Manager. The file is created private and swapped in whole (`writeEnvFile`, src/env/env-file.ts), never written
 * through a symbolic link.
 *
 *   node dist/pulumi/scripts/env-file.js <dev|test> [--out FILE]   (compiled by npm run build)
 *
 * Reads the outputs with `pulumi stack output --json --show-secrets`; prints the file's path, never
 * its password.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { writeEnvFile } from "../src/env/env-file";
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
