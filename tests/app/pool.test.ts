import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openPool } from "../../src/app";
import { withAdmin } from "../helpers/pg";
import { scratchDir } from "../helpers/scratch-dir";
import {
  appName,
  eventually,
  recordingLogger,
  serverConnections,
  serverPids,
  useScratchDatabase,
  useTestDatabase,
} from "./support";

const db = useTestDatabase();
const prodDb = useScratchDatabase("precog_prod");

describe("openPool on a provisioned test database, as the app role", () => {
  it("opens with the configured limits and warms the minimum", async () => {
    const name = appName("limits");
    const pool = await openPool({
      envFile: false,
      env: { ...db.current.vars(), DB_POOL_MIN_CONN: "3", DB_POOL_MAX_CONN: "4", DB_APPLICATION_NAME: name },
    });
    try {
      expect(pool.environment).toBe("test");
      expect(pool.limits).toEqual({ min: 3, max: 4 });
      expect(pool.options.max).toBe(4);
      expect(pool.totalCount).toBe(3);
      expect(await serverConnections(name)).toBe(3);
      const who = await pool.query("SELECT current_user AS u, current_database() AS d");
      expect(who.rows[0]).toEqual({ u: db.current.app.user, d: db.current.database });
      // Data privileges only: the app role cannot create tables.
      await expect(pool.query("CREATE TABLE nope (id int)")).rejects.toThrow("permission denied for schema public");
    } finally {
      await pool.end();
    }
    expect(await serverConnections(name)).toBe(0);
  });

  it("uses the test defaults (2 to 25) when the pool variables are unset, inferring test from DB_NAME", async () => {
    const name = appName("defaults");
    const { PRECOG_ENV: _unused, ...vars } = db.current.vars();
    const pool = await openPool({ envFile: false, env: { ...vars, DB_APPLICATION_NAME: name } });
    try {
      expect(pool.environment).toBe("test");
      expect(pool.limits).toEqual({ min: 2, max: 25 });
      expect(await serverConnections(name)).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it("reads the connection from a .env file, with environment variables winning", async () => {
    const dir = scratchDir("pool-env");
    const file = join(dir, ".env");
    const lines = Object.entries(db.current.vars()).map(([k, v]) => `${k}=${v}`);
    writeFileSync(file, [...lines, "DB_POOL_MIN_CONN=1", "DB_POOL_MAX_CONN=2"].join("\n"));
    const name = appName("envfile");
    const pool = await openPool({ envFile: file, env: { DB_POOL_MAX_CONN: "5", DB_APPLICATION_NAME: name } });
    try {
      expect(pool.limits).toEqual({ min: 1, max: 5 });
      expect(await serverConnections(name)).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("rejects invalid limits before connecting, naming the variable", async () => {
    const name = appName("invalid");
    await expect(
      openPool({ envFile: false, env: { ...db.current.vars(), DB_POOL_MIN_CONN: "30", DB_APPLICATION_NAME: name } }),
    ).rejects.toThrow(
      new Error(
        "Invalid database settings: DB_POOL_MIN_CONN=30 is above the pool maximum of 25 (the test default); lower it or set DB_POOL_MAX_CONN.",
      ),
    );
    expect(await serverConnections(name)).toBe(0);
  });

  it("refuses prod without PRECOG_PROD_CONFIRMED=yes, before any connection", async () => {
    const name = appName("prod-refused");
    for (const confirmed of [undefined, "true", "YES"]) {
      const env = {
        ...db.current.vars(),
        PRECOG_ENV: "prod",
        DB_POOL_MIN_CONN: "1",
        DB_APPLICATION_NAME: name,
        PRECOG_PROD_CONFIRMED: confirmed,
      };
      await expect(openPool({ envFile: false, env })).rejects.toThrow(
        new Error(
          'Refusing to open a database connection pool on prod: PRECOG_PROD_CONFIRMED is not "yes". ' +
            "Prod holds real money; set PRECOG_PROD_CONFIRMED=yes for this command only if you mean it.",
        ),
      );
    }
    expect(await serverConnections(name)).toBe(0);
  });

  it("refuses a database named for another environment than the selected one, before any connection", async () => {
    const name = appName("stale-env");
    const target = prodDb.current;
    for (const [stale, extra] of [
      ["dev", {}],
      ["test", {}],
      ["staging", { DB_SSLMODE: "disable" }],
    ] as const) {
      const env = {
        ...db.current.vars(),
        ...extra,
        PRECOG_ENV: stale,
        DB_NAME: target,
        DB_POOL_MIN_CONN: "1",
        DB_APPLICATION_NAME: name,
      };
      await expect(openPool({ envFile: false, env })).rejects.toThrow(
        new Error(
          `The environment is ${stale}, but the target database "${target}" (DB_NAME) is a prod database. ` +
            `Set PRECOG_ENV=prod to work on it deliberately (with its guards), or point at the ${stale} database.`,
        ),
      );
    }
    expect(await serverConnections(name)).toBe(0);
  });

  it("opens prod when confirmed and warns with operator, user and host/port/database, never the password", async () => {
    const name = appName("prod-confirmed");
    const logger = recordingLogger();
    const v = db.current.vars();
    // The local server has no TLS; prod's default is verify-full, so say so explicitly.
    // A prod-named database: openPool refuses precog_test_… under PRECOG_ENV=prod.
    const env = {
      ...v,
      DB_NAME: prodDb.current,
      PRECOG_ENV: "prod",
      PRECOG_PROD_CONFIRMED: "yes",
      PRECOG_OPERATOR: "alice",
      DB_POOL_MIN_CONN: "1",
      DB_APPLICATION_NAME: name,
      DB_SSLMODE: "disable",
    };
    const pool = await openPool({ envFile: false, env, logger });
    try {
      expect(pool.environment).toBe("prod");
      expect(pool.limits).toEqual({ min: 1, max: 50 });
      expect(logger.lines).toEqual([
        `precog-db: WARNING: alice is opening a connection pool on PROD: ` +
          `${v.DB_USER}@${v.DB_HOST}:${v.DB_PORT}/${prodDb.current} (1 to 50 connections).`,
        // prod's default max (50) is above the provisioned role's limit (40): the budget check says so.
        `precog-db: this pool's max of 50 connections is above the role ${v.DB_USER}'s CONNECTION LIMIT of 40: ` +
          "it is refused (53300) before it gets there and then waits for its own connections. Lower DB_POOL_MAX_CONN to the stack's pool.max.",
      ]);
      expect(logger.lines.join("\n")).not.toContain(v.DB_PASSWORD);
      expect(await serverConnections(name)).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("refuses when the environment is not the expected one", async () => {
    await expect(
      openPool({ envFile: false, expectEnvironment: "test", env: { ...db.current.vars(), PRECOG_ENV: "dev" } }),
    ).rejects.toThrow(
      new Error(
        "This needs the test environment, but the current one is dev (from PRECOG_ENV). Set PRECOG_ENV=test to select it.",
      ),
    );
  });

  it("fails to open with a wrong password, naming the target but not the password", async () => {
    const env: Record<string, string> = {
      ...db.current.vars(),
      DB_PASSWORD: "wrong-secret-value",
      DB_POOL_MIN_CONN: "1",
    };
    const err = await openPool({ envFile: false, env }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `Cannot open the test pool to ${env.DB_USER}@${env.DB_HOST}:${env.DB_PORT}/${env.DB_NAME}: ` +
        `password authentication failed for user "${env.DB_USER}"`,
    );
    expect((err as Error).message).not.toContain("wrong-secret-value");
  });

  it("refills to min distinct backends when a single connection is killed", async () => {
    const name = appName("killone");
    const logger = recordingLogger();
    const pool = await openPool({
      envFile: false,
      logger,
      env: { ...db.current.vars(), DB_POOL_MIN_CONN: "3", DB_POOL_MAX_CONN: "5", DB_APPLICATION_NAME: name },
    });
    try {
      const before = await serverPids(name);
      expect(before).toHaveLength(3);
      const victim = before[1];
      await withAdmin((c) => c.query("SELECT pg_terminate_backend($1)", [victim]));
      // The two survivors stay; one new backend replaces the victim.
      const refilled = await eventually(async () => {
        const now = await serverPids(name);
        return now.length === 3 && !now.includes(victim) && pool.totalCount === 3 && pool.idleCount === 3;
      });
      expect(refilled).toBe(true);
      const now = await serverPids(name);
      expect(now.filter((pid) => before.includes(pid))).toEqual(before.filter((pid) => pid !== victim));
      expect(logger.lines.filter((l) => l.includes("an idle connection to")).length).toBe(1);
      expect(logger.lines.filter((l) => l.includes("could not refill"))).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it("keeps min connections after idle reaping and refills after a connection is killed", async () => {
    const name = appName("keepmin");
    const logger = recordingLogger();
    const pool = await openPool({
      envFile: false,
      logger,
      env: { ...db.current.vars(), DB_POOL_MIN_CONN: "2", DB_POOL_MAX_CONN: "5", DB_APPLICATION_NAME: name },
      tuning: { idleTimeoutMillis: 100 },
    });
    try {
      // All five held at once: the pool grows to its max, whatever the machine's speed.
      const held = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
      expect(pool.totalCount).toBe(5);
      for (const c of held) c.release();
      expect(await eventually(async () => pool.totalCount === 2 && (await serverConnections(name)) === 2)).toBe(true);

      const before = await serverPids(name);
      await withAdmin((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]),
      );
      const refilled = await eventually(async () => {
        const now = await serverPids(name);
        return (
          now.length === 2 && now.every((pid) => !before.includes(pid)) && pool.totalCount === 2 && pool.idleCount === 2
        );
      });
      expect(refilled).toBe(true);
      expect(logger.lines.filter((l) => l.includes("an idle connection to")).length).toBe(2);
      const r = await pool.query("SELECT 1 AS one");
      expect(r.rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
