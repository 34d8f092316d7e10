/**
 * Test-side access to the run's PostgreSQL cluster (see pg-global-setup.ts): admin connection
 * settings, and throwaway databases with unique names so test files never share state.
 */
import { randomBytes } from "node:crypto";
import type { Client, ClientConfig } from "pg";
import { inject } from "vitest";
import { withClient } from "../../testbed/client";

export interface AdminConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
}

export function adminConfig(): AdminConfig {
  return inject("pg");
}

export function clientConfig(database = "postgres"): ClientConfig {
  const { host, port, user, password } = adminConfig();
  return { host, port, user, password, database };
}

export function databaseUrl(database: string): string {
  const { host, port, user, password } = adminConfig();
  return `postgresql://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
}

export function withAdmin<T>(fn: (c: Client) => Promise<T>, database = "postgres"): Promise<T> {
  return withClient(clientConfig(database), fn);
}

/** A new empty database named `<prefix>_<random>`; returns its name. */
export async function createScratchDatabase(prefix = "t"): Promise<string> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
