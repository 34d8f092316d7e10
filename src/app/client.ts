/**
 * The pg client class the application's pool opens its connections with: it applies the shared
 * TLS rules (src/env/tls.ts) and the connect timeout to every new connection. pg-pool builds each
 * client from the same settings, so what differs between connections lives here:
 * - `prefer` asks the server whether it offers TLS before each connection (libpq's SSLRequest),
 *   so a server that gains TLS is used encrypted and one without it is used in plaintext;
 * - `allow` starts in plaintext; once the server has refused plaintext (pg_hba.conf `hostssl`),
 *   the pool's later connections start encrypted (an upgrade, never a downgrade, is remembered);
 * - the timeout bounds the handshake only (pg's `connectionTimeoutMillis` on the client), not the
 *   wait for a free connection when the pool is busy (the pool's own setting, `tuning`);
 * - a connection the server ends while no query runs on it (a restart, pg_terminate_backend, an
 *   idle-in-transaction timeout) never crashes the process: pg emits 'error' on the client, and
 *   while the application holds it from `pool.connect()` nothing else listens (pg-pool listens
 *   only while it is idle). The client keeps the first such failure, the server's own reason, and
 *   every later query on it rejects with it; pg-pool discards a client in that state on release.
 */
import { Client, type ClientConfig, type QueryConfig } from "pg";
import type { ResolvedConnection } from "../env/connection";
import { startFromKnownState } from "../env/session";
import { negotiateTls, sslOptions, startsEncrypted } from "../env/tls";

export type ConnectCallback = (err: Error | undefined) => void;

/** What one pool's clients share: the settings, and whether `allow` has learned to start with TLS. */
export interface ClientPolicy {
  readonly connection: Pick<ResolvedConnection, "tls" | "connectTimeoutMillis">;
  /** Set once the server refused a plaintext connection under `allow`. */
  allowStartsEncrypted: boolean;
}

/** A pg Client class bound to `policy`, for `pg.Pool`'s `Client` option. */
export function clientClassFor(policy: ClientPolicy): typeof Client {
  const { tls, connectTimeoutMillis } = policy.connection;
  return class PrecogClient extends Client {
    constructor(config: ClientConfig) {
      const encrypted = tls.mode === "allow" ? policy.allowStartsEncrypted : startsEncrypted(tls.mode, true);
      // pg-pool keeps the password non-enumerable: a spread alone would drop it.
      super({
        ...config,
        password: config.password,
        ssl: sslOptions(tls, encrypted),
        connectionTimeoutMillis: connectTimeoutMillis,
      });
      startFromKnownState(this, config);
      this.on("error", (err: Error) => {
        // A killed backend errors twice: its FATAL message (the reason), then the socket's end.
        this.lostWith ??= connectionLost(this, err);
      });
    }

    /** Why the connection ended under a connected client, as every later query rejects; undefined while it lives. */
    lostWith: Error | undefined;

    // pg's own rejection would say only "Client has encountered a connection error and is not queryable".
    override query(...args: unknown[]): never {
      const lost = this.lostWith;
      const run = super.query as (...a: unknown[]) => never;
      if (lost === undefined) return run.apply(this, args);
      const [first, second, third] = args;
      if (isSubmittable(first)) {
        process.nextTick(() => first.handleError(lost, this.connection));
        return first as never;
      }
      const callback = [third, second, (first as QueryConfig & { callback?: unknown })?.callback].find(
        (a): a is (err: Error) => void => typeof a === "function",
      );
      if (callback !== undefined) {
        process.nextTick(() => callback(lost));
        return undefined as never;
      }
      return Promise.reject(lost) as never;
    }

    override connect(): Promise<Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<Client> | undefined {
      const negotiated = this.negotiate();
      if (callback === undefined) return negotiated.then(() => super.connect());
      negotiated.then(
        () => super.connect(callback as (err: Error) => void),
        (err: Error) => callback(err),
      );
    }

    /** prefer: plaintext for this connection when the server does not offer TLS. */
    private async negotiate(): Promise<void> {
      if (tls.mode !== "prefer" || (await negotiateTls(policy.connection, this.host, this.port))) return;
      this.ssl = false;
      (this as unknown as { connection: { ssl: unknown } }).connection.ssl = false;
    }
  };
}

/** The error a lost connection's queries reject with: who it was, the server's reason and SQLSTATE, and what to do. */
function connectionLost(client: Client, cause: Error): Error {
  const where = `${client.user}@${client.host}:${client.port}/${client.database}`;
  const err = new Error(
    `${where}: the connection was lost while the client was checked out (${cause.message}); ` +
      "release the client (it is discarded) and take another from the pool.",
    { cause },
  );
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string") Object.assign(err, { code });
  return err;
}

/** A pg Submittable (a Cursor, a QueryStream): pg hands it its error through `handleError`. */
function isSubmittable(a: unknown): a is { handleError(err: Error, connection: unknown): void } {
  return typeof (a as { submit?: unknown } | undefined)?.submit === "function";
}
