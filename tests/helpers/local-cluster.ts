/**
 * A private PostgreSQL cluster, started with the project's own `scripts/local-pg.sh` in a
 * throwaway folder on a free loopback port, for as long as a test run (or one suite) needs it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const script = resolve(__dirname, "../../scripts/local-pg.sh");

export interface LocalCluster {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: "postgres";
  readonly password: string;
  /** The cluster's folder; its admin password is in `adminPasswordFile`. */
  readonly dir: string;
  readonly adminPasswordFile: string;
  /** Stops the server and removes its folder. */
  stop(): void;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export async function startLocalCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "precog-pg-"));
  const port = await freePort();
  const env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(port) };
  execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  const adminPasswordFile = join(dir, "admin-password");
  return {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: readFileSync(adminPasswordFile, "utf8").trim(),
    dir,
    adminPasswordFile,
    stop() {
      try {
        execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
