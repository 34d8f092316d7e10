/**
 * One connection for one piece of work: connects, runs `fn`, always ends the connection. Every
 * test helper that talks to PostgreSQL goes through this; no vitest import, so bench scripts can
 * use it too.
 */
import { Client, type ClientConfig } from "pg";

export async function withClient<T>(config: ClientConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client(config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
