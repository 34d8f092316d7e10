/**
 * Ground floor for talking to PostgreSQL: one client per run, released on every path
 * (`openSession`, `withClient`), the migration advisory lock (`withAdvisoryLock`), and a
 * description of the target that never carries a password.
 */
import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { Client, ClientConfig } from "pg";
import type { TlsSettings } from "../env/connection";
import { startFromKnownState } from "../env/session";
import { explainConnectError, MissingPasswordError } from "../env/tls";

/**
 * Connection settings: a URL or the usual fields. Library callers that serialize them (the Pulumi
 * provider) pass plain values; the command passes what the shared resolver (src/env) worked out,
 * a password function and Node TLS options among them.
 */
export type Connection =
  | string
  | {
      readonly host?: string;
      readonly port?: number;
      readonly user?: string;
      /** A function is asked only when the server wants a password (see src/env/tls.ts `passwordFor`). */
      readonly password?: string | (() => string);
      readonly database?: string;
      /** Passed to pg as-is: true, false, or Node's TLS options (`{ rejectUnauthorized, ca, ... }`). */
      readonly ssl?: boolean | TlsOptions;
      /** The libpq mode and root certificate `ssl` was made from: pg_dump gets them, errors name them. */
      readonly tls?: TlsSettings;
      /** How long the server may take to answer a new connection, in ms; 0 or unset waits forever (pg's default). */
      readonly connectionTimeoutMillis?: number;
    };

/**
 * The migration lock: `pg_advisory_lock(8102650157338160487)`, a session-level advisory lock on
 * the bigint whose bytes spell "precogmg". Advisory locks are per database, so runners against
 * different databases of one server do not wait for each other.
 */
export const MIGRATION_LOCK_KEY = "8102650157338160487";

/**
 * Fails (SQLSTATE 55000) unless this session still holds the migration lock, run after each
 * migration's statements and before its history row (apply.ts): a migration that released it
 * (`pg_advisory_unlock_all()`, `pg_advisory_unlock(...)`) would let another runner apply the same
 * migrations meanwhile, so it is rolled back (or, outside a transaction, stopped) instead.
 *
 * Without reading pg_locks, which copies every lock of the server on each call (about 0.2 ms with
 * a migration's locks held, most of what the check cost): first the key is taken at the
 * transaction level too (false when another session holds it), which neither unlock function can
 * release; with it held, `pg_advisory_unlock` says whether the session-level lock was still there
 * (false, and a WARNING, when it was not) and `pg_advisory_lock` takes it back at once, so the key
 * is never free, and the session's hold count is what it was. The transaction-level hold ends with
 * the transaction.
 */
export const LOCK_STILL_HELD_MESSAGE = `the migration released the migration lock (pg_advisory_unlock_all() or pg_advisory_unlock(${MIGRATION_LOCK_KEY})), so another runner could apply the same migrations meanwhile`;

/**
 * The check as PL/pgSQL statements, for a block that declares `held boolean`: the DO block below,
 * and the history function that writes a migration's row (history.ts), which runs it first.
 */
export const LOCK_CHECK_PLPGSQL = `held := pg_catalog.pg_try_advisory_xact_lock(${MIGRATION_LOCK_KEY});
  IF held THEN held := pg_catalog.pg_advisory_unlock(${MIGRATION_LOCK_KEY}); END IF;
  IF NOT held THEN
    RAISE EXCEPTION '${LOCK_STILL_HELD_MESSAGE}'
      USING ERRCODE = '55000', HINT = 'A migration must not release advisory locks it did not take: remove the call.';
  END IF;
  PERFORM pg_catalog.pg_advisory_lock(${MIGRATION_LOCK_KEY});`;

export const LOCK_STILL_HELD = `DO $precog$ DECLARE held boolean;
BEGIN
  ${LOCK_CHECK_PLPGSQL}
END $precog$`;

/** Whether `error` is the check's: the migration released the lock. */
export function lockReleased(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === "55000" && e.message === LOCK_STILL_HELD_MESSAGE;
}

/**
 * How often the server checks that the runner is still there during a statement (PG 14+): a killed
 * runner's backend notices within this and frees the lock. Set by `withAdvisoryLock`, and again
 * after each migration's clean session (apply.ts), which resets every setting.
 */
export const CONNECTION_CHECK_INTERVAL = "1s";

export function toClientConfig(connection: Connection, applicationName: string): ClientConfig {
  if (typeof connection === "string") return { connectionString: connection, application_name: applicationName };
  const { tls: _libpq, ...pg } = connection;
  return { ...pg, application_name: applicationName } as ClientConfig;
}

/** Without `tls`, a connection's mode for messages: what its `ssl` amounts to. */
const PLAINTEXT: TlsSettings = { mode: "disable", rootCert: undefined };

/**
 * A failed connection's error, naming the target: the shared explanation (timeout, TLS mode the
 * server cannot meet, refused certificate, missing password) when there is one, else pg's message
 * with the variables to check.
 */
export function connectionFailure(connection: Connection, failed: Error): Error {
  const target = describeConnection(connection);
  if (failed instanceof MissingPasswordError) return failed;
  const settings =
    typeof connection === "string"
      ? { tls: PLAINTEXT, connectTimeoutMillis: 0 }
      : { tls: connection.tls ?? PLAINTEXT, connectTimeoutMillis: connection.connectionTimeoutMillis ?? 0 };
  const explained = explainConnectError(failed, settings, target);
  if (explained !== failed) return new Error(maskSecrets(explained.message), { cause: failed });
  return new Error(
    `Cannot connect to ${target}: ${maskSecrets(failed.message)}. ` +
      `Check DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD (or --database-url) and that the server is running.`,
    { cause: failed },
  );
}

/** `user@host:port/database`, for messages: never the password. */
export function describeConnection(connection: Connection): string {
  if (typeof connection === "string") {
    try {
      const u = new URL(connection);
      return `${decodeURIComponent(u.username) || "(default user)"}@${u.hostname}:${u.port || 5432}${u.pathname || "/"}`;
    } catch {
      return maskSecrets(connection);
    }
  }
  return `${connection.user ?? "(default user)"}@${connection.host ?? "localhost"}:${connection.port ?? 5432}/${connection.database ?? ""}`;
}

/**
 * Replaces any `scheme://user:password@` password in `text` with `***`, and every known secret
 * value too (values under 3 characters are left: masking them would mangle ordinary words).
 */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  return out;
}

/**
 * The database a connection reaches, worked out as pg does: the URL's path or `database`, else
 * PGDATABASE, else the user name. Undefined when none of them says (or the URL does not parse).
 */
export function databaseOf(
  connection: Connection,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  let database: string | undefined;
  let user: string | undefined;
  if (typeof connection === "string") {
    try {
      const u = new URL(connection);
      database = decodeURIComponent(u.pathname.replace(/^\//, ""));
      user = decodeURIComponent(u.username);
    } catch {
      return undefined;
    }
  } else {
    ({ database, user } = connection);
  }
  return database || env.PGDATABASE || user || env.PGUSER || undefined;
}

/**
 * A connection on its way: the handshake starts at once, and queries can be sent before it ends
 * (pg holds them until the server is ready), so local work and the server's can run side by side.
 */
export interface Session {
  readonly client: Client;
  /** Resolves once connected; rejects with an error naming the target, never its password. */
  readonly ready: Promise<void>;
  /** Sends `fn`'s queries now; resolves with its result once connected. A failed connection is the error reported. */
  early<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  /** Ends the connection and waits for the server to close its side; never throws. */
  end(): Promise<void>;
  /**
   * Ends the connection without waiting for the server to close its side (it does so once it
   * reads the Terminate message), and stops the socket from keeping the process alive: a command
   * that is done exits at once instead of waiting for the server's backend to exit.
   */
  release(): void;
}

/**
 * The pg module, loaded on first use, never at the top of a module: callers that only lint or list
 * files never load it.
 *
 * On its load pg asks whether it runs in a Cloudflare Worker: it reads `navigator.userAgent`, and
 * where there is no `navigator` (Node 20) it makes a `new Response(...)` instead, whose first touch
 * loads Node's whole fetch implementation (undici): about a fifth of a no-op `migrate`'s CPU time,
 * for an answer that is "no" in Node. So while pg loads, a Node without `navigator` is lent one
 * that says it is Node (pg then takes the same Node streams), and it is taken back at once.
 */
export function requirePg(): typeof import("pg") {
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) return require("pg");
  global.navigator = { userAgent: `Node.js/${process.version}` };
  try {
    return require("pg");
  } finally {
    delete global.navigator;
  }
}

export function openSession(connection: Connection, applicationName: string): Session {
  const { Client: PgClient } = requirePg();
  const config = toClientConfig(connection, applicationName);
  const client = new PgClient(config);
  startFromKnownState(client, config);
  // An idle client can still get a socket error; without a listener it would crash the process.
  client.on("error", () => undefined);
  const ready = client.connect().then(
    () => undefined,
    (failed: Error) => {
      throw connectionFailure(connection, failed);
    },
  );
  // Whoever awaits `ready` sees the failure; a caller that stops first (a bad folder) must not
  // leave it unhandled.
  ready.catch(() => undefined);
  return {
    client,
    ready,
    early(fn) {
      const sent = fn(client);
      sent.catch(() => undefined);
      return ready.then(() => sent);
    },
    end: () => client.end().catch(() => undefined),
    release() {
      void client.end().catch(() => undefined);
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    },
  };
}

/** Connects, runs `fn`, and always ends the connection; connection errors name the target. */
export async function withClient<T>(
  connection: Connection,
  applicationName: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const session = openSession(connection, applicationName);
  try {
    await session.ready;
    return await fn(session.client);
  } finally {
    await session.end();
  }
}

/**
 * Runs `fn` holding the migration lock. Tries once without waiting; when another session holds
 * it, tells `onWait` who holds it (so a waiting run says why it is quiet), then waits at most `waitMs`
 * (through lock_timeout, which pg_advisory_lock honours) and fails naming the holder. The lock is
 * released in `finally`, and by the server anyway if this process dies.
 */
export async function withAdvisoryLock<T>(
  client: Client,
  waitMs: number,
  fn: () => Promise<T>,
  onWait: (message: string) => void = () => undefined,
): Promise<T> {
  try {
    // A killed runner's backend otherwise keeps running its statement (and holding the lock)
    // until it next writes to the dead socket; this makes it notice within a second (PG 14+).
    const wait = `${Math.max(1, Math.floor(waitMs))}ms`;
    const tried = (await client.query(
      `SELECT set_config('client_connection_check_interval', '${CONNECTION_CHECK_INTERVAL}', false), set_config('lock_timeout', '${wait}', false);
       SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS got;`,
    )) as unknown as { rows: { got: boolean }[] }[];
    if (!tried[1].rows[0].got) {
      onWait(
        `Waiting for the migration lock held by another run${await describeLockHolder(client)}, for up to ${waitMs} ms (--lock-wait)...`,
      );
      await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    }
  } catch (cause) {
    if ((cause as { code?: string }).code !== "55P03") throw cause;
    const holder = await describeLockHolder(client);
    throw new Error(
      `Another migration runner holds the migration lock on this database${holder} and did not finish within ` +
        `${waitMs} ms. Wait for it and run again, or raise the wait with --lock-wait.`,
      { cause },
    );
  }
  try {
    await client.query("RESET lock_timeout");
    return await fn();
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
  }
}

async function describeLockHolder(client: Client): Promise<string> {
  const r = await client
    .query(
      `SELECT a.pid, a.usename, a.application_name, a.client_addr::text AS addr, a.backend_start
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((l.classid::bigint << 32) | l.objid::bigint) = ${MIGRATION_LOCK_KEY}`,
    )
    .catch(() => undefined);
  const row = r?.rows[0];
  if (!row) return "";
  return ` (backend pid ${row.pid}, user ${row.usename}, application "${row.application_name}", connected since ${new Date(row.backend_start).toISOString()})`;
}

/** `SET ROLE` to `role`, its name quoted as an identifier (a role name may need quotes). */
export function setRoleSql(role: string): string {
  return `SET ROLE "${role.replaceAll('"', '""')}"`;
}

/**
 * Acts as `role` for the rest of the session (the migration runner's owner role), or says why not:
 * the login must be a member of the role.
 */
export async function actAs(client: Client, role: string, target: string): Promise<void> {
  try {
    await client.query(setRoleSql(role));
  } catch (cause) {
    throw new Error(
      `Cannot act as ${role} on ${target}: ${(cause as Error).message}. Migrations create objects as the owner role, so the login ` +
        `must be a member of it (the stacks make <database>_migrator one); log in as the migrator (DB_MIGRATION_USER), or GRANT ${role} TO the login.`,
      { cause },
    );
  }
}
