import { DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { openPool, parseDatabaseSecret, type SecretsClient } from "../../src/app";
import { withAdmin } from "../helpers/pg";
import { stackFacts } from "../helpers/stack-facts";
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
/** The staging secret's database: a staging-named one, as openPool refuses a database named for another environment. */
const stagingDb = useScratchDatabase("precog_staging");
const prodDb = useScratchDatabase("precog_prod");
const SECRET_ID = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:precog/staging/app-AbCdEf";

/** The pool bounds as the stack tags the app role's secret (infra/credentials/role-secret.ts). */
function poolTags(min: number, max: number): Record<string, string> {
  return {
    "precog:environment": "staging",
    "precog:role": "app",
    "precog:pool.min": `${min}`,
    "precog:pool.max": `${max}`,
  };
}

/**
 * Stands in for SecretsManagerClient: same `send` contract for GetSecretValueCommand (the value)
 * and DescribeSecretCommand (the tags), records each command's input.
 */
class FakeSecrets implements SecretsClient {
  readonly inputs: unknown[] = [];
  readonly describes: unknown[] = [];
  version = 1;
  /** What DescribeSecret fails with (a missing permission), if anything. */
  describeError: Error | undefined;
  /** Awaited before each GetSecretValue answers. */
  beforeRead: () => Promise<void> = async () => undefined;
  constructor(
    public value: Record<string, unknown>,
    public tags: Record<string, string> = {},
  ) {}
  async send(command: GetSecretValueCommand): Promise<{ SecretString: string; VersionId: string }>;
  async send(command: DescribeSecretCommand): Promise<{ Tags: { Key: string; Value: string }[] }>;
  async send(command: GetSecretValueCommand | DescribeSecretCommand) {
    if (command instanceof DescribeSecretCommand) {
      this.describes.push(command.input);
      if (this.describeError) throw this.describeError;
      return { Tags: Object.entries(this.tags).map(([Key, Value]) => ({ Key, Value })) };
    }
    if (!(command instanceof GetSecretValueCommand)) throw new Error("unexpected command");
    await this.beforeRead();
    this.inputs.push(command.input);
    return { SecretString: JSON.stringify(this.value), VersionId: `v${this.version}` };
  }
}

function secretFor(password: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d = db.current;
  return {
    engine: "postgres",
    host: d.host,
    port: d.port,
    dbname: stagingDb.current,
    username: d.app.user,
    password,
    ...extra,
  };
}

/** Staging reached through its secret; the local server has no TLS. */
function stagingVars(name: string): Record<string, string> {
  return { PRECOG_ENV: "staging", DB_SECRET_ID: SECRET_ID, DB_SSLMODE: "disable", DB_APPLICATION_NAME: name };
}

const EXPECTED_INPUT = { SecretId: SECRET_ID, VersionStage: "AWSCURRENT" };

async function setRolePassword(password: string): Promise<void> {
  await withAdmin((c) => c.query(`ALTER ROLE ${db.current.app.user} PASSWORD '${password}'`));
}

describe("credentials from the Secrets Manager secret", () => {
  it("opens the pool from the secret, with the pool bounds of its tags, reading it once for the warm-up", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password), poolTags(2, 3));
    const name = appName("secret");
    const pool = await openPool({ envFile: false, env: stagingVars(name), secretsClient: fake });
    try {
      expect(pool.environment).toBe("staging");
      expect(pool.limits).toEqual({ min: 2, max: 3 });
      expect(pool.target).toEqual({
        host: db.current.host,
        port: db.current.port,
        database: stagingDb.current,
        user: db.current.app.user,
      });
      expect(await serverConnections(name)).toBe(2);
      expect(fake.inputs).toEqual([EXPECTED_INPUT]);
      expect(fake.describes).toEqual([{ SecretId: SECRET_ID }]);
    } finally {
      await pool.end();
    }
  });

  it("follows a pool change at the next open: new tags, the same secret value", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password), poolTags(2, 3));
    const value = JSON.stringify(fake.value);
    const first = await openPool({ envFile: false, env: stagingVars(appName("tags1")), secretsClient: fake });
    await first.end();
    fake.tags = poolTags(1, 7); // what the next `pulumi up` writes after precog:pool changed
    const second = await openPool({ envFile: false, env: stagingVars(appName("tags2")), secretsClient: fake });
    try {
      expect([first.limits, second.limits]).toEqual([
        { min: 2, max: 3 },
        { min: 1, max: 7 },
      ]);
      expect(JSON.stringify(fake.value)).toBe(value);
    } finally {
      await second.end();
    }
  });

  it("ignores pool bounds in the secret's value (an older stack's): the tags, else the environment's default", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password, { poolMin: 1, poolMax: 3 }));
    const env = { ...stagingVars(appName("untagged")), DB_POOL_MIN_CONN: "1" };
    const pool = await openPool({ envFile: false, env, secretsClient: fake });
    try {
      expect(pool.limits).toEqual({ min: 1, max: stackFacts("staging").poolMax });
      expect(fake.describes).toEqual([{ SecretId: SECRET_ID }]);
    } finally {
      await pool.end();
    }
  });

  it("says what to do when the tags cannot be read, or a tag is not a number, before any connection", async () => {
    const denied = new FakeSecrets(secretFor(db.current.app.password));
    denied.describeError = new Error("AccessDeniedException: not authorized to perform secretsmanager:DescribeSecret");
    const name = appName("no-tags");
    await expect(openPool({ envFile: false, env: stagingVars(name), secretsClient: denied })).rejects.toThrow(
      new Error(
        `Cannot read the pool bounds of the database secret "${SECRET_ID}" (its tags precog:pool.min, precog:pool.max): ` +
          "AccessDeniedException: not authorized to perform secretsmanager:DescribeSecret. " +
          "Allow secretsmanager:DescribeSecret on the secret, or set DB_POOL_MIN_CONN and DB_POOL_MAX_CONN.",
      ),
    );
    const bad = new FakeSecrets(secretFor(db.current.app.password), {
      "precog:pool.min": "two",
      "precog:pool.max": "3",
    });
    await expect(openPool({ envFile: false, env: stagingVars(name), secretsClient: bad })).rejects.toThrow(
      new Error(
        `The database secret "${SECRET_ID}" is unusable: tag precog:pool.min="two" is not a whole number of connections. ` +
          "The stack writes these tags on every `pulumi up`.",
      ),
    );
    expect(await serverConnections(name)).toBe(0);
  });

  it("lets DB_HOST/DB_PORT point at another endpoint (RDS Proxy) with the secret's credentials", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password, { host: "instance.invalid", port: 1 }));
    const env = {
      ...stagingVars(appName("proxy")),
      DB_HOST: db.current.host,
      DB_PORT: String(db.current.port),
      DB_POOL_MIN_CONN: "1",
    };
    const pool = await openPool({ envFile: false, env, secretsClient: fake });
    try {
      expect(pool.target).toEqual({
        host: db.current.host,
        port: db.current.port,
        database: stagingDb.current,
        user: db.current.app.user,
      });
      expect((await pool.query("SELECT current_user AS u")).rows).toEqual([{ u: db.current.app.user }]);
    } finally {
      await pool.end();
    }
  });

  it("lets DB_POOL_* override the secret's bounds, and then does not read its tags", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password, { port: String(db.current.port) }), poolTags(2, 3));
    const pool = await openPool({
      envFile: false,
      env: { ...stagingVars(appName("override")), DB_POOL_MIN_CONN: "1", DB_POOL_MAX_CONN: "6" },
      secretsClient: fake,
    });
    try {
      expect(pool.limits).toEqual({ min: 1, max: 6 });
      expect(fake.describes).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it("survives a rotation: one auth failure, one re-read, then the new connection succeeds", async () => {
    const oldPassword = db.current.app.password;
    const fake = new FakeSecrets(secretFor(oldPassword), poolTags(1, 4));
    const logger = recordingLogger();
    const name = appName("rotate");
    const pool = await openPool({ envFile: false, env: stagingVars(name), secretsClient: fake, logger });
    const newPassword = `rotated0${oldPassword.slice(8)}`;
    try {
      expect(fake.inputs).toHaveLength(1);
      // What the rotation Lambda does: change the role's password, then move AWSCURRENT.
      await setRolePassword(newPassword);
      fake.value = secretFor(newPassword);
      fake.version = 2;

      const held = await pool.connect(); // the warm connection keeps working after a password change
      try {
        const r = await pool.query("SELECT current_user AS u"); // needs a new connection
        expect(r.rows).toEqual([{ u: db.current.app.user }]);
      } finally {
        held.release();
      }
      expect(fake.inputs).toEqual([EXPECTED_INPUT, EXPECTED_INPUT]);
      expect(logger.lines).toEqual([
        `precog-db: authentication failed for ${pool.describe()}; re-reading secret "${SECRET_ID}" and retrying for up to 15000 ms.`,
      ]);
      expect(await serverConnections(name)).toBe(2);
      const all = logger.lines.join("\n");
      expect(all).not.toContain(oldPassword);
      expect(all).not.toContain(newPassword);
    } finally {
      await pool.end();
      await setRolePassword(oldPassword);
    }
  });

  it("follows an alternating-users rotation: the secret names <role>_clone, new connections log in as it", async () => {
    const app = db.current.app;
    const clone = `${app.user}_clone`;
    const clonePassword = `clone0${app.password.slice(6)}`;
    // secretCacheMillis 0: every new connection reads the secret, so after the rotation the pool
    // pairs its login with the clone's password once, is refused, and switches logins.
    const fake = new FakeSecrets(secretFor(app.password), poolTags(1, 4));
    const logger = recordingLogger();
    const name = appName("clone");
    const pool = await openPool({
      envFile: false,
      env: stagingVars(name),
      secretsClient: fake,
      logger,
      secretCacheMillis: 0,
    });
    try {
      // What the alternating-users function does on its first rotation: create the clone as a
      // member of the role, then make the secret with the clone's username AWSCURRENT.
      await withAdmin((c) => c.query(`CREATE ROLE ${clone} LOGIN PASSWORD '${clonePassword}' IN ROLE ${app.user}`));
      fake.value = secretFor(clonePassword, { username: clone });
      fake.version = 2;
      await withAdmin((c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]),
      );
      const r = await pool.query("SELECT current_user AS u, pg_has_role(current_user, $1, 'USAGE') AS member", [
        app.user,
      ]);
      expect(r.rows).toEqual([{ u: clone, member: true }]);
      expect(pool.describe()).toContain(`${clone}@`);
      expect(logger.lines).toContain(
        `precog-db: the credentials now name the login ${clone} (was ${app.user}); new connections use it.`,
      );
      expect(logger.lines.join("\n")).not.toContain(clonePassword);
    } finally {
      await pool.end();
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${clone}`));
    }
  });

  it("with authRetryMillis 0, retries once: a secret that is still wrong fails with the server's error", async () => {
    const oldPassword = db.current.app.password;
    const fake = new FakeSecrets(secretFor(oldPassword), poolTags(1, 4));
    const logger = recordingLogger();
    const pool = await openPool({
      envFile: false,
      env: stagingVars(appName("stale")),
      secretsClient: fake,
      logger,
      authRetryMillis: 0,
    });
    try {
      await setRolePassword("changed-but-secret-not-updated");
      const held = await pool.connect();
      try {
        await expect(pool.query("SELECT 1")).rejects.toMatchObject({
          code: "28P01",
          message: expect.stringMatching(
            new RegExp(`^password authentication failed for user "${db.current.app.user}" \\(refused for \\d+ ms`),
          ),
        });
      } finally {
        held.release();
      }
      expect(fake.inputs).toHaveLength(2);
      expect(logger.lines).toHaveLength(1);
    } finally {
      await pool.end();
      await setRolePassword(oldPassword);
    }
  });

  it("survives a backend killed while the refill holds its idle connection (no uncaught 'error')", async () => {
    // The secret read of the refill's new connection is held at a gate, so the refill is paused
    // with the surviving idle connection checked out: that is when its backend is killed.
    let gate: (() => void) | undefined;
    let gated = false;
    const reached: Array<() => void> = [];
    const fake = new FakeSecrets(secretFor(db.current.app.password, { dbname: db.current.database }), poolTags(2, 4));
    fake.beforeRead = async () => {
      if (!gated) return;
      for (const r of reached) r();
      await new Promise<void>((resolve) => {
        gate = resolve;
      });
    };
    const logger = recordingLogger();
    const name = appName("held");
    const env = { PRECOG_ENV: "test", DB_SECRET_ID: SECRET_ID, DB_APPLICATION_NAME: name };
    const pool = await openPool({ envFile: false, env, secretsClient: fake, secretCacheMillis: 0, logger });
    try {
      const [first, second] = await serverPids(name);
      gated = true;
      const refillStarted = new Promise<void>((r) => reached.push(r));
      await withAdmin((c) => c.query("SELECT pg_terminate_backend($1)", [first]));
      await refillStarted;
      expect(pool.idleCount).toBe(0); // the survivor is held by the refill
      await withAdmin((c) => c.query("SELECT pg_terminate_backend($1)", [second]));
      expect(
        await eventually(async () => logger.lines.filter((l) => l.includes("an idle connection to")).length === 2),
      ).toBe(true);
      gated = false;
      gate?.();
      const refilled = await eventually(async () => {
        const now = await serverPids(name);
        return (
          now.length === 2 &&
          !now.includes(first) &&
          !now.includes(second) &&
          pool.totalCount === 2 &&
          pool.idleCount === 2
        );
      });
      expect(refilled).toBe(true);
      expect(logger.lines.filter((l) => l.includes("could not refill"))).toEqual([]);
    } finally {
      gated = false;
      gate?.();
      await pool.end();
    }
  });

  it("refuses a secret for another database than DB_NAME", async () => {
    const fake = new FakeSecrets(secretFor(db.current.app.password));
    await expect(
      openPool({
        envFile: false,
        env: { ...stagingVars(appName("mismatch")), DB_NAME: "precog_staging" },
        secretsClient: fake,
      }),
    ).rejects.toThrow(
      new Error(
        `DB_NAME="precog_staging" does not match the database in secret "${SECRET_ID}" ("${stagingDb.current}"): ` +
          "unset DB_NAME or point DB_SECRET_ID at the staging secret.",
      ),
    );
  });
});

describe("a secret whose database is named for another environment than the selected one", () => {
  it.each(["dev", "test", "staging"])(
    "is refused under PRECOG_ENV=%s after reading the secret, before any connection",
    async (stale) => {
      const fake = new FakeSecrets(secretFor(db.current.app.password, { dbname: prodDb.current }), {
        "precog:pool.min": "1",
      });
      const name = appName("stale-secret");
      const env = { PRECOG_ENV: stale, DB_SECRET_ID: SECRET_ID, DB_SSLMODE: "disable", DB_APPLICATION_NAME: name };
      await expect(openPool({ envFile: false, env, secretsClient: fake })).rejects.toThrow(
        new Error(
          `The environment is ${stale}, but the target database "${prodDb.current}" (dbname in secret "${SECRET_ID}") is a prod database. ` +
            `Set PRECOG_ENV=prod to work on it deliberately (with its guards), or point at the ${stale} database.`,
        ),
      );
      expect(fake.inputs).toEqual([EXPECTED_INPUT]);
      expect(await serverConnections(name)).toBe(0);
    },
  );
});

describe("parseDatabaseSecret", () => {
  const good = { engine: "postgres", host: "h", port: 5432, dbname: "d", username: "u", password: "hunter2" };
  it.each([
    ["not JSON", "{password: hunter2", 'The database secret "s" is not valid JSON.'],
    ["an array", "[]", 'The database secret "s" is not a JSON object.'],
    [
      "missing fields",
      JSON.stringify({ password: "hunter2" }),
      'The database secret "s" is unusable: host is missing or not a non-empty string; port is missing; dbname is missing or not a non-empty string; username is missing or not a non-empty string.',
    ],
    [
      "bad numbers",
      JSON.stringify({ ...good, port: 2.5, username: "" }),
      'The database secret "s" is unusable: port is not a whole number; username is missing or not a non-empty string.',
    ],
    [
      "another engine",
      JSON.stringify({ ...good, engine: "mysql" }),
      'The database secret "s" is unusable: engine is not "postgres".',
    ],
  ])("rejects %s without quoting the password", (_label, text, message) => {
    expect(() => parseDatabaseSecret(text, "s")).toThrow(new Error(message));
    expect(message).not.toContain("hunter2");
  });

  it("accepts the rotation Lambda's format with string or number port", () => {
    expect(parseDatabaseSecret(JSON.stringify({ ...good, port: "5433" }), "s", "v9")).toEqual({
      host: "h",
      port: 5433,
      dbname: "d",
      username: "u",
      password: "hunter2",
      versionId: "v9",
    });
  });
});
