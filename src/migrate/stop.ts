/**
 * Stopping a process's migration runs from outside (issue 30, item 15): the migration plugin calls
 * `stopMigrations` when the engine that started it goes away (infra/migrations/plugin/main.ts).
 * From then on every run in the process applies no further migration: a run between migrations
 * stops there; a run whose batch is on the server has its backend's current statement cancelled
 * (a cancel request, as libpq's PQcancel sends), so the migration in progress rolls back whole and
 * the server runs none after it. Each migration commits with its history row, so what did commit
 * is recorded, and the next `up` reconciles it. `whenIdle` resolves when no run is in progress.
 */
import type { Client } from "pg";

let stopped: string | undefined;
let active = 0;
const idleWaiters: Array<() => void> = [];
const cancellers = new Set<() => void>();

/** Stops every run in this process after its current migration (rolled back if it was running). */
export function stopMigrations(reason: string): void {
  if (stopped !== undefined) return;
  stopped = reason;
  for (const cancel of cancellers) cancel();
}

/** Why runs were stopped, or undefined. */
export function stopReason(): string | undefined {
  return stopped;
}

/** Resolves when no migration run is in progress in this process. */
export function whenIdle(): Promise<void> {
  return active === 0 ? Promise.resolve() : new Promise((ok) => idleWaiters.push(ok));
}

/** Counts a run as in progress while `fn` runs. */
export async function tracked<T>(fn: () => Promise<T>): Promise<T> {
  active++;
  try {
    return await fn();
  } finally {
    active--;
    if (active === 0) for (const ok of idleWaiters.splice(0)) ok();
  }
}

/**
 * Runs `batch` (statements already on their way to the server on `client`); a stop meanwhile sends
 * the server a cancel request for `client`'s backend.
 */
export async function cancellable<T>(client: Client, batch: () => Promise<T>): Promise<T> {
  const cancel = () => sendCancel(client);
  cancellers.add(cancel);
  try {
    return await batch();
  } finally {
    cancellers.delete(cancel);
  }
}

/** The protocol's CancelRequest for `client`'s backend, on a connection of its own (pg's Client.cancel). */
function sendCancel(client: Client): void {
  const c = client as unknown as {
    activeQuery: unknown;
    processID: number | null;
    secretKey: number | null;
    host: string;
    port: number;
  };
  if (c.processID === null) return;
  const { Client: PgClient } = require("pg") as typeof import("pg");
  // The cancel request goes before any TLS or login, so host and port are all it needs.
  const canceller = new PgClient({ host: c.host, port: c.port, ssl: false }) as unknown as {
    cancel(client: unknown, query: unknown): void;
    connection: { on(e: string, f: () => void): void; end(): void };
  };
  canceller.connection.on("error", () => undefined);
  canceller.cancel(client, c.activeQuery);
}

/** The error a stopped run ends with. */
export function stoppedError(reason: string, applied: number, next: string | undefined): Error {
  return new Error(
    `Stopped applying migrations: ${reason}. ${applied} migration(s) of this run were applied and recorded` +
      `${next === undefined ? "" : `; ${next} and the ones after it were not`}. The next \`pulumi up\` reconciles with the history table.`,
  );
}
