/**
 * The local-server command, for real: it starts, answers on loopback with the generated
 * password, stops, and a second start reuses the data.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { withClient } from "../../testbed/client";
import { freePort } from "../../testbed/local-cluster";

const script = resolve(__dirname, "../../scripts/local-pg.sh");

describe("scripts/local-pg.sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "precog-localpg-"));
  let env: NodeJS.ProcessEnv;
  const run = (cmd: string) => execFileSync("bash", [script, cmd], { env, encoding: "utf8" });

  afterAll(() => {
    try {
      run("stop");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function query(sql: string): Promise<string> {
    const password = readFileSync(join(dir, "admin-password"), "utf8").trim();
    return withClient(
      { host: "127.0.0.1", port: Number(env.PRECOG_PG_PORT), user: "postgres", password, database: "postgres" },
      async (c) => {
        const rows = (await c.query(sql)).rows;
        return rows.length ? String(rows[0].v) : "";
      },
    );
  }

  it("starts, answers on loopback, stops, and reuses its data on a second start", async () => {
    env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(await freePort()) };
    expect(run("start")).toContain("initialising a new cluster");
    expect(await query("select inet_server_addr()::text as v")).toBe("127.0.0.1/32");
    expect(await query("select current_setting('listen_addresses') as v")).toBe("127.0.0.1");
    await query("create table kept as select 42 as x");

    expect(run("start")).toContain("already running");
    expect(run("stop")).toContain("stopped");
    expect(() => run("status")).toThrow();

    expect(run("start")).toContain("reusing the cluster");
    expect(await query("select x as v from kept")).toBe("42");
  });

  it("refuses a wrong password", async () => {
    const c = new Client({
      host: "127.0.0.1",
      port: Number(env.PRECOG_PG_PORT),
      user: "postgres",
      password: "wrong",
      database: "postgres",
    });
    await expect(c.connect()).rejects.toThrow(/password authentication failed/);
  });

  it("never prints the admin password", () => {
    const password = readFileSync(join(dir, "admin-password"), "utf8").trim();
    const out = run("start") + run("status") + run("env");
    expect(out).not.toContain(password);
  });
});
