/**
 * Helpers for the migration tests: a throwaway migrations folder written from a table of files, a
 * scratch database (alone, or with its folders and the engine's options as one per-test setup),
 * and running the real `precog-db` command as a child process.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ClientConfig, QueryResult } from "pg";
import { afterEach, beforeEach } from "vitest";
import { readHistory } from "../../src/migrate";
import type { Connection } from "../../src/migrate/pg";
import { clientConfig, createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";

export const REPO = resolve(__dirname, "../..");
export const BIN = join(REPO, "bin/precog-db.js");

/** A new folder holding `files` (name -> content). */
export function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "precog-migrations-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `-- migrate:up` / `-- migrate:down` file text. */
export function sql(up: string, down = "", upOptions = "", header = ""): string {
  return `${header}-- migrate:up${upOptions ? ` ${upOptions}` : ""}\n${up}\n-- migrate:down\n${down}\n`;
}

/** The scratch database as the engine's plain connection object. */
export function connectionFor(database: string): Connection {
  const c = clientConfig(database) as Required<Pick<ClientConfig, "host" | "port" | "user" | "password" | "database">>;
  return { host: c.host, port: c.port, user: c.user, password: c.password as string, database: c.database };
}

/** The engine's options for a scratch run on dev, with the checksum cache off. */
export interface ScratchOptions {
  readonly connection: Connection;
  readonly dir: string;
  readonly environment: "dev";
  readonly checksumCache: false;
}

/** A fresh database for each test, and the migrations folders that test writes. */
export interface ScratchMigrations {
  /** The current test's database. */
  readonly db: string;
  /** Writes a new migrations folder holding `files` (name -> content); `opts()` points at it from then on. */
  files(files: Record<string, string>): string;
  /** The engine's options for the current database and the last folder written. */
  opts(): ScratchOptions;
  /** The versions in the history table, in its order. */
  versions(): Promise<string[]>;
  /** The tables in the public schema, by name. */
  tables(): Promise<string[]>;
  /** `text` run as the admin in the current database. */
  query(text: string): Promise<QueryResult>;
}

/**
 * Registers, in the calling test file, a `beforeEach` that creates a database named
 * `<prefix>_<random>` and an `afterEach` that drops it and removes every folder the test wrote.
 */
export function scratchMigrations(prefix: string): ScratchMigrations {
  let db = "";
  let dir = "";
  const written: string[] = [];
  beforeEach(async () => {
    db = await createScratchDatabase(prefix);
  });
  afterEach(async () => {
    await dropDatabase(db);
    for (const d of written.splice(0)) removeDir(d);
    dir = "";
  });
  const query = (text: string) => withAdmin((c) => c.query(text), db);
  return {
    get db() {
      return db;
    },
    files(files) {
      dir = migrationsDir(files);
      written.push(dir);
      return dir;
    },
    opts: () => ({ connection: connectionFor(db), dir, environment: "dev", checksumCache: false }),
    versions: async () =>
      (await readHistory({ connection: connectionFor(db), environment: "dev" })).map((h) => h.version),
    tables: async () =>
      (await query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map(
        (r) => r.tablename,
      ),
    query,
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment variables pointing the command at `database` through DB_*. */
export function dbEnv(database: string): Record<string, string> {
  const c = clientConfig(database);
  return {
    DB_HOST: String(c.host),
    DB_PORT: String(c.port),
    DB_USER: String(c.user),
    DB_PASSWORD: String(c.password),
    DB_NAME: database,
  };
}

/**
 * Runs `node bin/precog-db.js args` with only the given variables (plus PATH and HOME), so the
 * developer's own PRECOG_ENV or DB_* never leak in.
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  opts: { cwd?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  assertDistFresh();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PRECOG_OPERATOR: "test-operator", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("error", fail);
    if (opts.onSpawn && child.pid) opts.onSpawn(child.pid);
    child.on("close", (code, signal) => ok({ code, signal, stdout, stderr }));
  });
}

const checked = new Set<string>();
/** The command (and any child process) runs compiled code: refuse to test a dist/ older than its sources. */
export function assertDistFresh(subs: readonly string[] = ["migrate", "migrate/lint", "cli"]): void {
  const key = subs.join(",");
  if (checked.has(key)) return;
  for (const sub of subs) {
    for (const f of readdirSync(join(REPO, "src", sub)).filter((n) => n.endsWith(".ts"))) {
      const js = join(REPO, "dist", sub, f.replace(/\.ts$/, ".js"));
      let built = 0;
      try {
        built = statSync(js).mtimeMs;
      } catch {
        // missing: stale
      }
      if (built < statSync(join(REPO, "src", sub, f)).mtimeMs) {
        throw new Error(
          `dist/${sub}/${f.replace(/\.ts$/, ".js")} is older than src/${sub}/${f}: run \`npm run build\` (npm test does).`,
        );
      }
    }
  }
  checked.add(key);
}

/** Waits until `check` returns true, polling every 50 ms, failing after `ms`. */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
