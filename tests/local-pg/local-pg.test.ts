/**
 * The local-server command, for real: it starts, answers on loopback with the generated
 * password, stops, and a second start reuses the data.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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

describe("scripts/local-pg.sh's port (issue 30, item 12)", () => {
  const dir = mkdtempSync(join(tmpdir(), "precog-localpg-port-"));
  let port = 0;
  /** The command with PRECOG_PG_DIR and, unless undefined, PRECOG_PG_PORT: its exit code and output. */
  const attempt = (cmd: string, portVar: string | undefined) => {
    const { PRECOG_PG_PORT: _unset, ...rest } = process.env;
    const env = { ...rest, PRECOG_PG_DIR: dir, ...(portVar === undefined ? {} : { PRECOG_PG_PORT: portVar }) };
    const r = spawnSync("bash", [script, cmd], { env, encoding: "utf8" });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  afterAll(() => {
    try {
      attempt("stop", undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(["abc", "0", "65536", " 5432", "+5432", "54.3", "05432"])(
    "refuses PRECOG_PG_PORT=%j before creating anything",
    (bad) => {
      expect(attempt("start", bad)).toEqual({
        code: 1,
        out: "",
        err: `local-pg: PRECOG_PG_PORT="${bad}" is not a TCP port: use digits only, 1 to 65535.\n`,
      });
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it("reports and uses the port the cluster was made with, and refuses another", async () => {
    port = await freePort();
    expect(attempt("start", String(port)).code).toBe(0);
    expect(attempt("status", undefined)).toEqual({
      code: 0,
      out: `local-pg: running on 127.0.0.1:${port} (${dir}/data)\n`,
      err: "",
    });
    expect(attempt("env", undefined).out).toContain(`export PGPORT=${port}\n`);
    const other = String(port + 1);
    const refusal = {
      code: 1,
      out: "",
      err:
        `local-pg: PRECOG_PG_PORT=${other}, but the cluster in ${dir} listens on port ${port} (fixed when it was made): ` +
        `unset PRECOG_PG_PORT or set it to ${port}, or remove ${dir} to make a new cluster on port ${other}.\n`,
    };
    expect(attempt("status", other)).toEqual(refusal);
    expect(attempt("stop", undefined).code).toBe(0);
    expect(attempt("start", other)).toEqual(refusal);
    expect(attempt("start", undefined)).toEqual({
      code: 0,
      out: `local-pg: reusing the cluster in ${dir}/data\nlocal-pg: running on 127.0.0.1:${port} (superuser postgres, password in ${dir}/admin-password)\n`,
      err: "",
    });
  });
});
