/**
 * The TLS half of the command's connection, which may need the server: whether the session is to
 * be encrypted in the target's DB_SSLMODE, as libpq decides it (src/env/tls.ts), turned into pg's
 * `ssl`. `prefer` asks the server first (an SSLRequest); `allow` tries plaintext and switches to TLS
 * when the server refuses plaintext; the other modes need no question. A mode the server cannot
 * meet fails when the engine connects, never downgrading.
 */
import type { Client } from "pg";
import { startFromKnownState } from "../env/session";
import { negotiateTls, refusedPlaintext, sslOptions } from "../env/tls";
import { connectionFailure, requirePg, toClientConfig } from "../migrate/pg";
import type { Target } from "./target";

export async function negotiateTarget(target: Target): Promise<Target> {
  const c = target.connection;
  if (c.tls === undefined || c.host === undefined || c.port === undefined) return target;
  const settings = { tls: c.tls, connectTimeoutMillis: c.connectionTimeoutMillis ?? 0 };
  let encrypted: boolean;
  try {
    encrypted = c.tls.mode === "allow" ? await refusesPlaintext(target) : await negotiateTls(settings, c.host, c.port);
  } catch (err) {
    throw connectionFailure(c, err as Error);
  }
  return { ...target, connection: { ...c, ssl: sslOptions(c.tls, encrypted) } };
}

/** allow: one plaintext attempt; true when the server refused it for want of encryption (pg_hba.conf hostssl). */
async function refusesPlaintext(target: Target): Promise<boolean> {
  // Loaded here: only allow needs a connection of its own.
  const { Client: PgClient } = requirePg();
  const config = toClientConfig({ ...target.connection, ssl: false }, "precog-db");
  const client: Client = new PgClient(config);
  startFromKnownState(client, config);
  client.on("error", () => undefined);
  try {
    await client.connect();
    return false;
  } catch (err) {
    if (refusedPlaintext(err)) return true;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
