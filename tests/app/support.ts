/**
 * Shared pieces of the app tests: a provisioned test database per test file (as the test stack
 * makes it), a logger that records, and a look at pg_stat_activity from the superuser's side.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import type { PoolLogger } from "../../src/app";
import { type ProvisionedTestDb, provisionTestDatabase } from "../../testbed/provision-test-db";
import { adminConfig, createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";

/** Provisions a database for the calling test file; read `.current` inside tests. */
export function useTestDatabase(options: { appConnectionLimit?: number } = {}): { current: ProvisionedTestDb } {
  const holder = {} as { current: ProvisionedTestDb };
  beforeAll(async () => {
    const { host, port, user, password } = adminConfig();
    holder.current = await provisionTestDatabase({ host, port, user, password }, options);
  });
  afterAll(async () => {
    await holder.current?.drop();
  });
  return holder;
}

/**
 * An empty database named `<prefix>_<random>` for the calling test file, e.g. precog_prod_… for a
 * pool that must reach a prod-named database. PUBLIC keeps CONNECT, so the app role can log in.
 * `setup()` gives SQL run as the superuser inside it once created (after earlier `beforeAll`s).
 */
export function useScratchDatabase(prefix: string, setup?: () => string): { current: string } {
  const holder = {} as { current: string };
  beforeAll(async () => {
    holder.current = await createScratchDatabase(prefix);
    if (setup !== undefined) await withAdmin((c) => c.query(setup()), holder.current);
  });
  afterAll(async () => {
    if (holder.current !== undefined) await dropDatabase(holder.current);
  });
  return holder;
}

/** A unique application_name, so a test counts only its own pool's connections. */
export function appName(label: string): string {
  return `precog-${label}-${randomBytes(3).toString("hex")}`;
}

/** Server-side connections with this application_name, seen by the superuser. */
export async function serverConnections(applicationName: string): Promise<number> {
  return withAdmin(async (c) => {
    const r = await c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return r.rows[0].n;
  });
}

/** Backend pids with this application_name. */
export async function serverPids(applicationName: string): Promise<number[]> {
  return withAdmin(async (c) => {
    const r = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
      [applicationName],
    );
    return r.rows.map((row) => row.pid);
  });
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export interface RecordingLogger extends PoolLogger {
  readonly lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return { lines, warn: (m: string) => void lines.push(m) };
}
