/**
 * Vitest global setup: one private PostgreSQL cluster for the whole run, started with the
 * project's own `scripts/local-pg.sh` in a throwaway folder on a free loopback port, and stopped
 * (and removed) at the end. Test files reach it through `adminConfig()` in ./pg.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

const script = resolve(__dirname, "../../scripts/local-pg.sh");

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

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "precog-pg-"));
  const port = await freePort();
  const env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(port) };
  execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  const password = readFileSync(join(dir, "admin-password"), "utf8").trim();
  project.provide("pg", { host: "127.0.0.1", port, user: "postgres", password, dir });
  return () => {
    try {
      execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pg: { host: string; port: number; user: string; password: string; dir: string };
  }
}
