/**
 * Pool stress bench: starts its own PostgreSQL cluster (scripts/local-pg.sh in a temp folder on a
 * free port), provisions a test database as the test stack does, and for each pool size N runs
 * 10N concurrent queries (`pg_sleep`) through `openPool` as the app role, while a superuser
 * connection samples pg_stat_activity for the pool's application_name. Prints, per N: queries,
 * successes, failures, the most server connections seen, wall time, throughput and latency
 * percentiles. Exits 1 if any query failed or the pool ever exceeded N. Stops and removes the
 * cluster at the end.
 *
 *   npx ts-node --transpile-only bench/pool/stress.ts [--sizes 5,10,25,50] [--factor 10] [--sleep-ms 10]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "pg";
import { openPool } from "../../src/app";
import { freePort } from "../../testbed/local-cluster";
import { type ProvisionedTestDb, provisionTestDatabase } from "../../testbed/provision-test-db";

const script = resolve(__dirname, "../../scripts/local-pg.sh");

interface Options {
  sizes: number[];
  factor: number;
  sleepMs: number;
}

interface Figures {
  max: number;
  queries: number;
  succeeded: number;
  failed: number;
  maxServerConnections: number;
  maxPoolClients: number;
  samples: number;
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const whole = (flag: string, text: string) => {
    if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`${flag} "${text}" is not a whole number above 0`);
    return Number(text);
  };
  return {
    sizes: get("--sizes", "5,10,25,50")
      .split(",")
      .map((s) => whole("--sizes", s)),
    factor: whole("--factor", get("--factor", "10")),
    sleepMs: whole("--sleep-ms", get("--sleep-ms", "10")),
  };
}

async function measure(db: ProvisionedTestDb, admin: Client, max: number, o: Options): Promise<Figures> {
  const name = `precog-bench-${max}`;
  const pool = await openPool({
    envFile: false,
    env: { ...db.vars(), DB_POOL_MIN_CONN: "0", DB_POOL_MAX_CONN: String(max), DB_APPLICATION_NAME: name },
  });
  let running = true;
  let maxServerConnections = 0;
  let maxPoolClients = 0;
  let samples = 0;
  const sampling = (async () => {
    while (running) {
      const r = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [name],
      );
      maxServerConnections = Math.max(maxServerConnections, r.rows[0].n);
      maxPoolClients = Math.max(maxPoolClients, pool.totalCount);
      samples += 1;
    }
  })();
  const latencies: number[] = [];
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: o.factor * max }, async () => {
      const t = performance.now();
      await pool.query("SELECT pg_sleep($1)", [o.sleepMs / 1000]);
      latencies.push(performance.now() - t);
    }),
  );
  const wallMs = performance.now() - started;
  running = false;
  await sampling;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const failed = results.filter((r) => r.status === "rejected");
  for (const f of failed.slice(0, 3)) console.error(`  failure: ${(f as PromiseRejectedResult).reason}`);
  return {
    max,
    queries: results.length,
    succeeded: results.length - failed.length,
    failed: failed.length,
    maxServerConnections,
    maxPoolClients,
    samples,
    wallMs,
    p50Ms: pct(50),
    p99Ms: pct(99),
  };
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "precog-bench-pg-"));
  const port = await freePort();
  const env = { ...process.env, PRECOG_PG_DIR: dir, PRECOG_PG_PORT: String(port) };
  execFileSync("bash", [script, "start"], { env, stdio: "pipe" });
  let db: ProvisionedTestDb | undefined;
  const admin = new Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: readFileSync(join(dir, "admin-password"), "utf8").trim(),
    database: "postgres",
  });
  try {
    await admin.connect();
    const adminSettings = { host: "127.0.0.1", port, user: "postgres", password: admin.password ?? undefined };
    db = await provisionTestDatabase(adminSettings, { appConnectionLimit: Math.max(...o.sizes) + 5 });
    console.log(
      `pool stress: ${o.factor}x concurrent SELECT pg_sleep(${o.sleepMs / 1000}) per pool size, PostgreSQL on 127.0.0.1:${port}`,
    );
    console.log(
      "  max  queries  ok    failed  max-server-conns  max-pool-clients  samples  wall-ms  q/s     p50-ms  p99-ms",
    );
    let bad = false;
    for (const max of o.sizes) {
      const f = await measure(db, admin, max, o);
      bad ||= f.failed > 0 || f.maxServerConnections > max || f.maxPoolClients > max;
      console.log(
        `  ${pad(f.max, 3)}  ${pad(f.queries, 7)}  ${pad(f.succeeded, 4)}  ${pad(f.failed, 6)}  ${pad(f.maxServerConnections, 16)}  ` +
          `${pad(f.maxPoolClients, 16)}  ${pad(f.samples, 7)}  ${pad(f.wallMs.toFixed(0), 7)}  ${pad(((f.queries / f.wallMs) * 1000).toFixed(0), 6)}  ` +
          `${pad(f.p50Ms.toFixed(1), 6)}  ${pad(f.p99Ms.toFixed(1), 6)}`,
      );
    }
    console.log(
      bad
        ? "FAIL: a query failed or a pool exceeded its max"
        : "OK: every query succeeded and no pool exceeded its max",
    );
    return bad ? 1 : 0;
  } finally {
    await admin.end().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    try {
      execFileSync("bash", [script, "stop"], { env, stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function pad(v: number | string, width: number): string {
  return String(v).padEnd(width);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`pool stress failed: ${err.message}`);
    process.exit(2);
  },
);
