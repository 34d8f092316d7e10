/**
 * A password holding `% # ? & / @ :` (and a `%41` that a second decoding would turn into `A`)
 * through every consumer of a password, against real PostgreSQL: the roles are ALTERed to it, then
 * each consumer logs in with it. The app's pool from the variables; the `.env` file scripts/env-file.ts
 * writes, read by the app's pool and by the command (the migration login); and the command's
 * `--database-url`, percent-encoded as a URL must carry it. Generated and rotated passwords are
 * letters and digits only (docs/aws.md), but a password set by hand need not be.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEnvFile } from "../../scripts/env-file";
import { openPool } from "../../src/app";
import { withMigrationLogin } from "../../src/cli/migration-login";
import { loadVars, resolveTarget } from "../../src/cli/target";
import { writeEnvFile } from "../../src/env/env-file";
import { requirePg, toClientConfig } from "../../src/migrate/pg";
import { withAdmin } from "../helpers/pg";
import { useTestDatabase } from "./support";

const SPECIAL = "p%41%#?&/@:w";
const db = useTestDatabase();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "precog-special-password-"));
  const quoted = SPECIAL.replace(/'/g, "''");
  await withAdmin(async (c) => {
    for (const l of [db.current.app, db.current.owner]) await c.query(`ALTER ROLE ${l.user} PASSWORD '${quoted}'`);
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Who the consumer's connection logs in as, asked of the server. */
async function loggedInAs(connection: Parameters<typeof toClientConfig>[0]): Promise<string> {
  const { Client } = requirePg();
  const client = new Client(toClientConfig(connection, "precog-special-password"));
  await client.connect();
  try {
    return (await client.query<{ u: string }>("SELECT current_user AS u")).rows[0].u;
  } finally {
    await client.end();
  }
}

async function poolLogsInAs(options: Parameters<typeof openPool>[0]): Promise<string> {
  const pool = await openPool({ ...options, logger: { info() {}, warn() {}, error() {} } as never });
  try {
    return (await pool.query<{ u: string }>("SELECT current_user AS u")).rows[0].u;
  } finally {
    await pool.end();
  }
}

/** The `.env` file for the test database, as scripts/env-file.ts writes it for a local stack. */
function writeDotEnv(): string {
  const t = db.current;
  const file = join(dir, ".env");
  writeEnvFile(
    file,
    renderEnvFile({
      environment: "test",
      server: "local",
      host: t.host,
      port: t.port,
      database: t.database,
      roles: {
        databaseOwner: `${t.database}_dbowner`,
        owner: `${t.database}_owner`,
        migrator: t.owner.user,
        app: t.app.user,
        readonly: t.readonly.user,
      },
      pool: { min: 0, max: 2 },
      credentials: { migrator: { password: SPECIAL }, app: { password: SPECIAL }, readonly: { password: null } },
    }),
  );
  return file;
}

describe("a password with % # ? & / @ : through every consumer", () => {
  it("the app's pool, from DB_PASSWORD", async () => {
    const vars = { ...db.current.vars(), DB_PASSWORD: SPECIAL };
    expect(await poolLogsInAs({ envFile: false, env: vars })).toBe(db.current.app.user);
  });

  it("the env file: read back whole, by the app's pool and by the command's migration login", async () => {
    const file = writeDotEnv();
    const vars = loadVars(dir, {});
    expect([vars.DB_PASSWORD, vars.DB_MIGRATION_PASSWORD]).toEqual([SPECIAL, SPECIAL]);
    expect(await poolLogsInAs({ envFile: file, env: {} })).toBe(db.current.app.user);
    const target = withMigrationLogin(resolveTarget(vars, undefined, dir), vars, "apply migrations");
    expect(await loggedInAs(target.connection)).toBe(db.current.owner.user);
  });

  it("the command's --database-url, percent-encoded", async () => {
    const t = db.current;
    const url = `postgresql://${t.owner.user}:${encodeURIComponent(SPECIAL)}@${t.host}:${t.port}/${t.database}`;
    const vars = { PRECOG_ENV: "test" };
    const target = withMigrationLogin(resolveTarget(vars, url, dir), vars, "apply migrations", true);
    expect(target.secrets).toContain(SPECIAL);
    expect(await loggedInAs(target.connection)).toBe(t.owner.user);
  });
});
