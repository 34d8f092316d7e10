/**
 * A private PostgreSQL cluster, started with the project's own `scripts/local-pg.sh` in a
 * throwaway folder on a free loopback port, for as long as a test run (or one suite) needs it.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const script = resolve(__dirname, "../scripts/local-pg.sh");

export interface LocalCluster {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: "postgres";
  readonly password: string;
  /** The cluster's folder; its admin password is in `adminPasswordFile`. */
  readonly dir: string;
  readonly adminPasswordFile: string;
  /** The server log (pg_ctl -l). */
  readonly logFile: string;
  /** Stops the server (fast shutdown: every session is ended) and starts it again on the same data. */
  restart(): void;
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

/**
 * Starts a cluster; with `settings`, writes each into its postgresql.conf and restarts, so that static ones
 * (shared_preload_libraries) take effect too: the e2e suites run RDS's logging parameters this way.
 */
export async function startLocalCluster(
  settings: readonly { readonly name: string; readonly value: string }[] = [],
): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "precog-pg-"));
  const port = await freePort();
  const env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(port) };
  execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  const adminPasswordFile = join(dir, "admin-password");
  const password = readFileSync(adminPasswordFile, "utf8").trim();
  if (settings.length > 0) {
    // The file, not ALTER SYSTEM: that refuses a library's settings until the library is loaded.
    const lines = settings.map((x) => `${x.name} = '${x.value.replace(/'/g, "''")}'`);
    appendFileSync(join(dir, "data/postgresql.conf"), `\n# precog-db e2e settings\n${lines.join("\n")}\n`);
    execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
    execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  }
  return {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    dir,
    adminPasswordFile,
    logFile: join(dir, "server.log"),
    restart() {
      execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
      execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
    },
    stop() {
      try {
        execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
