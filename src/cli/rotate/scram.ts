/**
 * A SCRAM-SHA-256 verifier for a password, as PostgreSQL stores it (RFC 7677, the format of
 * libpq's PQencryptPasswordConn). `ALTER ROLE ... PASSWORD '<verifier>'` then never carries the
 * password itself, so no server log line (log_statement = ddl or all) can hold it.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's default iteration count (scram_iterations). */
const ITERATIONS = 4096;

export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
