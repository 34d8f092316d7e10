/** libpq's sslmode values, which DB_SSLMODE and every connection's TLS mode take. */
export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];
