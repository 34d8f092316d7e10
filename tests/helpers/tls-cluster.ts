/**
 * A second private PostgreSQL cluster with TLS on, for the TLS-mode tests: started with the
 * project's scripts/local-pg.sh on a free port, with a throwaway CA and a server certificate for
 * the name "localhost" only (so verify-full to 127.0.0.1 must fail and to localhost must pass), and
 * a role that pg_hba.conf refuses in plaintext (for allow). Stopped and removed by `stop()`.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { withClient } from "../../testbed/client";
import { freePort } from "./pg-global-setup";

export interface TlsCluster {
  readonly port: number;
  readonly password: string;
  /** The CA that signed the server's certificate (PEM file). */
  readonly caFile: string;
  /** A role that may connect only with TLS (pg_hba.conf hostnossl ... reject). */
  readonly tlsOnlyRole: string;
  stop(): void;
}

const script = resolve(__dirname, "../../scripts/local-pg.sh");

export async function startTlsCluster(): Promise<TlsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "precog-pg-tls-"));
  const port = await freePort();
  const env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(port), PRECOG_PG_MAX_CONNECTIONS: "30" };
  execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  const stop = () => {
    try {
      execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const data = join(dir, "data");
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=precog test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    );
    writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:localhost\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "san.ext",
      "-out",
      "server.crt",
    );
    for (const f of ["server.crt", "server.key"]) {
      writeFileSync(join(data, f), readFileSync(join(dir, f)), { mode: 0o600 });
      if (process.getuid?.() === 0) chownSync(join(data, f), ...postgresIds());
    }
    const tlsOnlyRole = "precog_tls_only";
    const hba = join(data, "pg_hba.conf");
    writeFileSync(hba, `hostnossl all ${tlsOnlyRole} 127.0.0.1/32 reject\n${readFileSync(hba, "utf8")}`);
    const password = readFileSync(join(dir, "admin-password"), "utf8").trim();
    await withClient({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres" }, async (c) => {
      await c.query("ALTER SYSTEM SET ssl = on");
      await c.query("SELECT pg_reload_conf()");
      await c.query(`CREATE ROLE ${tlsOnlyRole} LOGIN PASSWORD '${password}'`);
    });
    return { port, password, caFile: join(dir, "ca.crt"), tlsOnlyRole, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

function postgresIds(): [number, number] {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  return [id("-u"), id("-g")];
}
