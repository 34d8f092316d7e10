/**
 * A client held from `pool.connect()` whose connection the server ends (issue 30, item 2): a
 * server restart, pg_terminate_backend, an idle-in-transaction timeout. No server event may crash
 * the process: the application, a real child Node process holding the client, survives; its next
 * query on that client rejects with the server's own reason (and SQLSTATE), the client is discarded
 * when released, and the pool serves the next query from a new connection.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startLocalCluster } from "../../testbed/local-cluster";
import { type ProvisionedTestDb, provisionTestDatabase } from "../../testbed/provision-test-db";
import { assertDistFresh, REPO } from "../migrate/helpers";
import { appName, eventually } from "./support";

/**
 * The application: opens the pool (one connection), takes a client, runs `HELD_SQL` on it, prints
 * the backend's pid, and waits for a line on stdin; then queries the held client, prints what
 * happened, releases it, and queries the pool.
 */
const CHILD = `
const { openPool } = require(${JSON.stringify(join(REPO, "dist/app/index.js"))});
const lines = require("node:readline").createInterface({ input: process.stdin });
const next = () => new Promise((ok) => lines.once("line", ok));
(async () => {
  const pool = await openPool({ envFile: false, logger: { warn: (m) => console.error(m) } });
  const client = await pool.connect();
  if (process.env.HELD_SQL) await client.query(process.env.HELD_SQL);
  const held = (await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
  console.log(JSON.stringify({ held }));
  await next();
  lines.close();
  let outcome;
  try {
    await client.query("SELECT 1");
    outcome = { ok: true };
  } catch (e) {
    outcome = { message: e.message, code: e.code, cause: e.cause && e.cause.message };
  }
  client.release();
  const afterRelease = pool.totalCount;
  const next_ = (await pool.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
  console.log(JSON.stringify({ outcome, afterRelease, reused: next_ === held }));
  await pool.end();
})().catch((e) => {
  console.error("child failed: " + (e && e.stack));
  process.exit(3);
});
`;

interface Child {
  /** The backend pid of the held client. */
  readonly held: Promise<number>;
  /** Tells the child to query its held client, and waits for it to exit. */
  finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null; report: unknown; stderr: string }>;
}

function startChild(db: ProvisionedTestDb, name: string, heldSql = ""): Child {
  assertDistFresh(["app", "env"]);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...db.vars(),
    DB_POOL_MIN_CONN: "1",
    DB_POOL_MAX_CONN: "2",
    DB_APPLICATION_NAME: name,
    HELD_SQL: heldSql,
  };
  const child = spawn(process.execPath, ["-e", CHILD], { env, stdio: ["pipe", "pipe", "pipe"] });
  // A child that hangs fails the test with its output, not vitest's timeout.
  setTimeout(() => child.kill("SIGKILL"), 40_000).unref();
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  // A child that crashed cannot read its line: its exit and stderr say so, not an EPIPE here.
  child.stdin.on("error", () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on("close", (code, signal) => ok({ code, signal })),
  );
  const held = new Promise<number>((ok, fail) => {
    child.stdout.on("data", (b) => {
      stdout += b;
      const first = stdout.split("\n")[0];
      if (stdout.includes("\n") && first.startsWith('{"held"')) ok(JSON.parse(first).held);
    });
    exited.then(() => fail(new Error(`the child exited before holding a client: ${stderr}`)));
  });
  return {
    held,
    async finish() {
      child.stdin.end("go\n");
      const { code, signal } = await exited;
      const last = stdout.trim().split("\n").at(-1) ?? "";
      return { code, signal, report: last.startsWith('{"outcome"') ? JSON.parse(last) : `${last}\n${stderr}`, stderr };
    },
  };
}

let cluster: LocalCluster;
let db: ProvisionedTestDb;
beforeAll(async () => {
  cluster = await startLocalCluster();
  db = await provisionTestDatabase({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
  });
});
afterAll(() => cluster?.stop());

const admin = () => ({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password });
/** `sql` run as the cluster's superuser; its rows. */
async function asAdmin(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new Client({ ...admin(), database: "postgres" });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}
/** True once the backend `pid` has ended. */
const gone = (pid: number) =>
  eventually(async () => (await asAdmin("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).length === 0, 10_000);

const lost = (reason: string, code: string) => ({
  outcome: {
    message: `${db.app.user}@${cluster.host}:${cluster.port}/${db.database}: the connection was lost while the client was checked out (${reason}); release the client (it is discarded) and take another from the pool.`,
    code,
    cause: reason,
  },
  afterRelease: 0,
  reused: false,
});

describe("a client held from pool.connect() when the server ends its connection", () => {
  it("pg_terminate_backend: the process survives and the next query says why", async () => {
    const name = appName("held-terminate");
    const child = startChild(db, name);
    const pid = await child.held;
    await asAdmin("SELECT pg_terminate_backend($1)", [pid]);
    expect(await gone(pid)).toBe(true);
    const r = await child.finish();
    expect(r.report).toEqual(lost("terminating connection due to administrator command", "57P01"));
    expect([r.code, r.signal]).toEqual([0, null]);
  });

  it("idle_in_transaction_session_timeout: the process survives and the next query says why", async () => {
    const name = appName("held-idle-tx");
    const child = startChild(db, name, "SET idle_in_transaction_session_timeout = '200ms'; BEGIN");
    const pid = await child.held;
    expect(await gone(pid)).toBe(true);
    const r = await child.finish();
    expect(r.report).toEqual(lost("terminating connection due to idle-in-transaction timeout", "25P03"));
    expect([r.code, r.signal]).toEqual([0, null]);
  });

  it("a server restart: the process survives, the next query says why, and the pool reconnects", async () => {
    const name = appName("held-restart");
    const child = startChild(db, name);
    await child.held;
    cluster.restart();
    const r = await child.finish();
    expect(r.report).toEqual(lost("terminating connection due to administrator command", "57P01"));
    expect([r.code, r.signal]).toEqual([0, null]);
  });
});
