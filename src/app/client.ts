/**
 * The pg client class the application's pool opens its connections with: it applies the shared
 * TLS rules (src/env/tls.ts) and the connect timeout to every new connection. pg-pool builds each
 * client from the same settings, so what differs between connections lives here:
 * - `prefer` asks the server whether it offers TLS before each connection (libpq's SSLRequest),
 *   so a server that gains TLS is used encrypted and one without it is used in plaintext;
 * - `allow` starts in plaintext; once the server has refused plaintext (pg_hba.conf `hostssl`),
 *   the pool's later connections start encrypted (an upgrade, never a downgrade, is remembered);
 * - the timeout bounds the handshake only (pg's `connectionTimeoutMillis` on the client), not the
 *   wait for a free connection when the pool is busy (the pool's own setting, `tuning`).
 */
import { Client, type ClientConfig } from "pg";
import type { ResolvedConnection } from "../env/connection";
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
