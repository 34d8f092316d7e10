/**
 * From a resolved connection (connection.ts) to what pg needs, for the pool and the command alike:
 * the TLS options of each DB_SSLMODE as libpq defines them, the password a login gives the server,
 * and connection failures explained in terms of the variables to change. No pg import: the shapes
 * are pg's `ssl` and `password` settings.
 *
 * Modes, as libpq: `disable` plaintext; `allow` plaintext, TLS if the server refuses plaintext;
 * `prefer` TLS if the server offers it (asked with an SSLRequest first), else plaintext; `require`
 * TLS, certificate not checked (checked against DB_SSL_ROOT_CERT when that is set, as libpq does
 * with a root certificate); `verify-ca` TLS, certificate chain checked; `verify-full` chain and host
 * name checked. A mode whose condition the server cannot meet fails; nothing downgrades silently.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { Login, ResolvedConnection, TlsSettings } from "./connection";
import { SSL_MODES, type SslMode } from "./ssl-modes";

/** pg's `ssl` setting: false for plaintext, else Node's TLS options. */
export type PgSsl = false | ConnectionOptions;

/** The modes whose first attempt is encrypted and which never fall back to plaintext. */
const TLS_ONLY: readonly SslMode[] = ["require", "verify-ca", "verify-full"];

/** Whether a connection in `mode` starts encrypted; prefer asks the server first (see {@link serverOffersTls}). */
export function startsEncrypted(mode: SslMode, serverOffersTls: boolean): boolean {
  if (mode === "disable" || mode === "allow") return false;
  return mode === "prefer" ? serverOffersTls : true;
}

/** pg's `ssl` for an attempt in `tls.mode`; `encrypted` says which kind of attempt (allow and prefer have both). */
export function sslOptions(tls: TlsSettings, encrypted: boolean): PgSsl {
  if (!encrypted) return false;
  const ca = tls.rootCert === undefined ? undefined : readRootCert(tls.rootCert);
  const chainOnly = { checkServerIdentity: () => undefined };
  switch (tls.mode) {
    case "disable":
    case "allow":
    case "prefer":
      return { rejectUnauthorized: false };
    case "require":
      return ca === undefined ? { rejectUnauthorized: false } : { ca, rejectUnauthorized: true, ...chainOnly };
    case "verify-ca":
      return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, ...chainOnly };
    case "verify-full":
      return { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true };
  }
}

/**
 * pg's `ssl` for a connection made in one attempt, its mode from config rather than negotiated (the
 * Pulumi migration component, the rotate command's admin login): the first attempt libpq would make
 * in `mode` (prefer assumes the server offers TLS, so it fails rather than falls back), with the
 * same certificate checks as {@link sslOptions}. An unknown mode is an error naming `where`.
 */
export function singleAttemptSsl(mode: string, rootCert: string | undefined, where: string): PgSsl {
  if (!(SSL_MODES as readonly string[]).includes(mode))
    throw new Error(`${where}: sslmode "${mode}" is not one of ${SSL_MODES.join(", ")}.`);
  const tls = { mode: mode as SslMode, rootCert };
  return sslOptions(tls, startsEncrypted(tls.mode, true));
}

function readRootCert(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`DB_SSL_ROOT_CERT="${path}" cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Asks the server whether it speaks TLS (an SSLRequest, answered with one byte, before any
 * credentials), as libpq does for prefer. Unix sockets never use TLS. Rejects on no answer
 * within `timeoutMillis`.
 */
export function serverOffersTls(host: string, port: number, timeoutMillis: number): Promise<boolean> {
  if (host.startsWith("/")) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err: Error | undefined, offers = false) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(offers);
    };
    const timer = setTimeout(() => done(new Error("timeout expired")), timeoutMillis);
    socket.once("error", (err) => done(err));
    socket.once("connect", () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    socket.once("data", (b) => done(undefined, b[0] === 0x53 /* 'S' */));
  });
}

/**
 * Whether the next connection in `tls.mode` is to be encrypted: disable never; allow only once the
 * server has refused plaintext (`allowUpgraded`, see {@link refusedPlaintext}); prefer when the
 * server offers TLS (asked first); require and verify-* always. Pass the result to {@link sslOptions}.
 */
export async function negotiateTls(
  connection: Pick<ResolvedConnection, "tls" | "connectTimeoutMillis">,
  host: string,
  port: number,
  allowUpgraded = false,
): Promise<boolean> {
  const { mode } = connection.tls;
  if (mode === "allow") return allowUpgraded;
  if (mode !== "prefer") return startsEncrypted(mode, true);
  return serverOffersTls(host, port, connection.connectTimeoutMillis);
}

/** True for the server's refusal of a plaintext connection (pg_hba.conf `hostssl` only): allow then retries with TLS. */
export function refusedPlaintext(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === "28000" && /no encryption/.test(e.message ?? "");
}

/** The server asked for a password that no variable gives; the message names the variable to set. */
export class MissingPasswordError extends Error {}

/**
 * The password pg gives the server for `login`, asked only when the server wants one: the login's
 * variable, else PGPASSWORD, else an error saying which variable to set (rather than pg's "SASL:
 * SCRAM-SERVER-FIRST-MESSAGE: client password must be a string").
 */
export function passwordFor(
  login: Login,
  connection: Pick<ResolvedConnection, "pgPassword">,
  target: string,
): () => string {
  return () => {
    const password = login.password ?? connection.pgPassword;
    if (password !== undefined) return password;
    throw new MissingPasswordError(
      `The server asks for a password for ${target}, but ${login.passwordVariable} is not set (nor PGPASSWORD): ` +
        `set ${login.passwordVariable} in the environment or .env.`,
    );
  };
}

/** TLS errors from Node whose cause is the certificate, not the network. */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/**
 * A connection failure restated in terms of what to change: the connect timeout, a TLS mode the
 * server cannot meet, a refused certificate. Other errors come back unchanged.
 */
export function explainConnectError(
  err: unknown,
  connection: Pick<ResolvedConnection, "tls" | "connectTimeoutMillis">,
  target: string,
): Error {
  const e = err as Error & { code?: string };
  const mode = connection.tls.mode;
  if (e.message === "timeout expired" || e.message === "Connection terminated due to connection timeout") {
    const s = connection.connectTimeoutMillis / 1000;
    return new Error(
      `${target} did not answer within ${s} s (DB_CONNECT_TIMEOUT=${s}): check DB_HOST and DB_PORT and that the server is up, ` +
        `or raise DB_CONNECT_TIMEOUT (at most 600).`,
      { cause: err },
    );
  }
  if (e.message === "The server does not support SSL connections" && TLS_ONLY.includes(mode)) {
    return new Error(
      `DB_SSLMODE=${mode} needs TLS, but the server at ${target} does not offer it: enable TLS on the server, or set ` +
        `DB_SSLMODE=prefer or disable where plaintext is acceptable.`,
      { cause: err },
    );
  }
  if (CERTIFICATE_ERROR.test(e.code ?? "")) {
    return new Error(
      `DB_SSLMODE=${mode}: the certificate of the server at ${target} was refused (${e.message}): set DB_SSL_ROOT_CERT to ` +
        `the CA bundle that signed it${mode === "verify-full" ? ", and check that DB_HOST is a name the certificate carries" : ""}.`,
      { cause: err },
    );
  }
  return e instanceof Error ? e : new Error(String(err));
}
