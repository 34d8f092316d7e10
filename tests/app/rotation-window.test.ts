/**
 * The window of a rotation: the role's password changes first and the new one becomes readable a
 * moment later (the RDS rotation function's setSecret before finishSecret; a `.env.<env>` written
 * after the change). A new connection opened in between must not fail: the pool re-reads the
 * credentials with backoff until they work, within `authRetryMillis`, for both sources.
 */
import { randomBytes } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeSecretCommand, type GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { openPool, type SecretsClient } from "../../src/app";
import { withAdmin } from "../helpers/pg";
import { scratchDir } from "../helpers/scratch-dir";
import { appName, recordingLogger, useScratchDatabase, useTestDatabase } from "./support";

const db = useTestDatabase();
const stagingDb = useScratchDatabase("precog_staging");
const SECRET_ID = "precog/staging/app";
/** How long after the password change the new one becomes readable: longer than the old single retry. */
const WINDOW_MS = 900;

afterEach(async () => {
  await setRolePassword(db.current.app.password);
});

async function setRolePassword(password: string): Promise<void> {
  await withAdmin((c) => c.query(`ALTER ROLE ${db.current.app.user} PASSWORD '${password}'`));
}

/** A Secrets Manager stand-in whose value the test changes; counts the reads. */
class Secrets implements SecretsClient {
  reads = 0;
  constructor(public password: string) {}
  async send(command: GetSecretValueCommand): Promise<{ SecretString: string; VersionId: string }>;
  async send(command: DescribeSecretCommand): Promise<{ Tags: { Key: string; Value: string }[] }>;
  async send(command: GetSecretValueCommand | DescribeSecretCommand) {
    if (command instanceof DescribeSecretCommand) return { Tags: [] as { Key: string; Value: string }[] };
    this.reads++;
    const d = db.current;
    const value = {
      host: d.host,
      port: d.port,
      dbname: stagingDb.current,
      username: d.app.user,
      password: this.password,
    };
    return { SecretString: JSON.stringify(value), VersionId: `v${this.reads}` };
  }
}

function stagingVars(name: string): Record<string, string> {
  return {
    PRECOG_ENV: "staging",
    DB_SECRET_ID: SECRET_ID,
    DB_SSLMODE: "disable",
    DB_APPLICATION_NAME: name,
    DB_POOL_MIN_CONN: "1",
    DB_POOL_MAX_CONN: "4",
  };
}

/** Writes the file whole, as scripts/env-file.ts does: a reader sees the old or the new, never half. */
function swapIn(file: string, text: string): void {
  const temporary = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

function envText(password: string, name: string): string {
  const vars = { ...db.current.vars(), DB_PASSWORD: password, DB_APPLICATION_NAME: name };
  return `${Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\nDB_POOL_MIN_CONN=1\nDB_POOL_MAX_CONN=4\n`;
}

describe("a new connection during a rotation's window", () => {
  it("from a .env file: waits until the file holds the new password, then connects", async () => {
    const name = appName("window-file");
    const file = join(scratchDir("window"), ".env.test");
    swapIn(file, envText(db.current.app.password, name));
    const logger = recordingLogger();
    const pool = await openPool({ envFile: file, env: {}, logger });
    const held = await pool.connect(); // the warm connection: the query below needs a new one
    const newPassword = `new_${randomBytes(12).toString("hex")}`;
    try {
      await setRolePassword(newPassword);
      const written = new Promise<void>((ok) =>
        setTimeout(() => {
          swapIn(file, envText(newPassword, name));
          ok();
        }, WINDOW_MS),
      );
      const started = Date.now();
      const r = await pool.query("SELECT current_user AS u");
      expect(r.rows).toEqual([{ u: db.current.app.user }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS - 50);
      await written;
      expect(logger.lines).toEqual([
        `precog-db: authentication failed for ${pool.describe()}; re-reading the env file ${file} and retrying for up to 15000 ms.`,
      ]);
      expect(logger.lines.join("\n")).not.toContain(newPassword);
    } finally {
      held.release();
      await pool.end();
    }
  });

  it("from the Secrets Manager secret: waits until AWSCURRENT holds the new password, then connects", async () => {
    const secrets = new Secrets(db.current.app.password);
    const pool = await openPool({
      envFile: false,
      env: stagingVars(appName("window-secret")),
      secretsClient: secrets,
      logger: recordingLogger(),
    });
    const held = await pool.connect();
    const newPassword = `new_${randomBytes(12).toString("hex")}`;
    try {
      // setSecret has run (the role has the new password); finishSecret comes WINDOW_MS later.
      await setRolePassword(newPassword);
      setTimeout(() => {
        secrets.password = newPassword;
      }, WINDOW_MS);
      const r = await pool.query("SELECT current_user AS u");
      expect(r.rows).toEqual([{ u: db.current.app.user }]);
      expect(secrets.reads).toBeGreaterThan(2); // the warm-up's read, then several re-reads with backoff
    } finally {
      held.release();
      await pool.end();
    }
  });

  it("gives up after authRetryMillis with the server's refusal, saying how long it tried", async () => {
    const secrets = new Secrets(db.current.app.password);
    const pool = await openPool({
      envFile: false,
      env: stagingVars(appName("window-bound")),
      secretsClient: secrets,
      logger: recordingLogger(),
      authRetryMillis: 600,
    });
    const held = await pool.connect();
    try {
      await setRolePassword(`never_${randomBytes(8).toString("hex")}`);
      const started = Date.now();
      const refused = await pool.query("SELECT 1").catch((e: Error & { code?: string }) => e);
      const took = Date.now() - started;
      expect(refused).toMatchObject({ code: "28P01" });
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^password authentication failed for user "${db.current.app.user}" \\(refused for \\d+ ms while re-reading secret "${SECRET_ID}" with backoff, up to authRetryMillis 600 ms: the password there is not the role's; check that the rotation finished\\)$`,
        ),
      );
      expect(took).toBeGreaterThanOrEqual(300);
      expect(took).toBeLessThan(3000);
    } finally {
      held.release();
      await pool.end();
    }
  });

  it("refuses an authRetryMillis that is not a whole number of milliseconds", async () => {
    await expect(
      openPool({ envFile: false, env: db.current.vars(), authRetryMillis: -1, logger: recordingLogger() }),
    ).rejects.toThrow("openPool option authRetryMillis must be a whole number of milliseconds, 0 or more (got -1).");
  });
});
