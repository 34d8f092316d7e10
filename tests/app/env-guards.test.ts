/**
 * Items of issue 9 where a `.env` file or a blank in the shell weakened the guards, checked through
 * `openPool` against a real server: an empty `PRECOG_ENV=` in the environment must not hide the
 * file's `PRECOG_ENV=prod`, and a file must never confirm prod.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadVars, openPool } from "../../src/app";
import { scratchDir } from "../helpers/scratch-dir";
import { appName, serverConnections, useScratchDatabase, useTestDatabase } from "./support";

const db = useTestDatabase();
// A prod database whose name does not say so: only PRECOG_ENV in the file marks it as prod.
const liveDb = useScratchDatabase("precog_live");

function envFile(lines: Record<string, string>): string {
  const file = join(scratchDir("env-guards"), ".env");
  writeFileSync(
    file,
    `${Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
  return file;
}

const unconfirmed =
  'Refusing to open a database connection pool on prod: PRECOG_PROD_CONFIRMED is not "yes". ' +
  "Prod holds real money; set PRECOG_PROD_CONFIRMED=yes for this command only if you mean it.";

describe("an empty value in the environment never weakens the file's guards", () => {
  it("keeps PRECOG_ENV=prod from .env when the shell has PRECOG_ENV= (and refuses without confirmation)", async () => {
    const name = appName("blank-env");
    const file = envFile({
      ...db.current.vars(),
      PRECOG_ENV: "prod",
      DB_NAME: liveDb.current,
      DB_SSLMODE: "disable",
      DB_POOL_MIN_CONN: "1",
    });
    for (const blank of [{ PRECOG_ENV: "" }, { PRECOG_ENV: "", DB_NAME: "" }]) {
      await expect(openPool({ envFile: file, env: { ...blank, DB_APPLICATION_NAME: name } })).rejects.toThrow(
        new Error(unconfirmed),
      );
    }
    expect(await serverConnections(name)).toBe(0);
  });

  it("keeps DB_NAME=precog_prod… from .env when the shell has DB_NAME=, so prod is still inferred", async () => {
    const file = envFile({ DB_NAME: "precog_prod", DB_HOST: "db.internal" });
    const { vars } = loadVars({ envFile: file, env: { DB_NAME: "", PRECOG_ENV: "", OTHER: "" } });
    expect(vars).toEqual({ DB_NAME: "precog_prod", DB_HOST: "db.internal", PRECOG_ENV: "", OTHER: "" });
    await expect(openPool({ envFile: file, env: { DB_NAME: "" } })).rejects.toThrow(new Error(unconfirmed));
  });
});

describe("prod confirmation comes from the process environment only", () => {
  const fileRefusal = (file: string) =>
    `The env file ${file} sets PRECOG_PROD_CONFIRMED: prod confirmation counts only from the command's own environment, ` +
    `never from a file (a file would confirm every later command). Remove the line from ${file} and set ` +
    "PRECOG_PROD_CONFIRMED=yes for the one command that needs it.";

  it.each(["yes", "no", ""])(
    "refuses a .env that sets PRECOG_PROD_CONFIRMED=%s, before any connection",
    async (value) => {
      const name = appName("file-confirm");
      const file = envFile({
        ...db.current.vars(),
        PRECOG_ENV: "prod",
        DB_NAME: liveDb.current,
        DB_SSLMODE: "disable",
        DB_POOL_MIN_CONN: "1",
        PRECOG_PROD_CONFIRMED: value,
      });
      await expect(openPool({ envFile: file, env: { DB_APPLICATION_NAME: name } })).rejects.toThrow(
        new Error(fileRefusal(file)),
      );
      // Not even with the confirmation in the environment too: the file must go.
      await expect(
        openPool({ envFile: file, env: { DB_APPLICATION_NAME: name, PRECOG_PROD_CONFIRMED: "yes" } }),
      ).rejects.toThrow(new Error(fileRefusal(file)));
      expect(await serverConnections(name)).toBe(0);
    },
  );

  it("opens prod with the confirmation in the environment and the rest in .env", async () => {
    const name = appName("env-confirm");
    const file = envFile({
      ...db.current.vars(),
      PRECOG_ENV: "prod",
      DB_NAME: liveDb.current,
      DB_SSLMODE: "disable",
      DB_POOL_MIN_CONN: "1",
    });
    const lines: string[] = [];
    const pool = await openPool({
      envFile: file,
      env: { DB_APPLICATION_NAME: name, PRECOG_PROD_CONFIRMED: "yes" },
      logger: { warn: (m) => void lines.push(m) },
    });
    try {
      expect(pool.environment).toBe("prod");
      expect(await serverConnections(name)).toBe(1);
      // The prod warning, and the budget check's: prod's default max (50) is above the test role's limit (40).
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain("is above the role");
    } finally {
      await pool.end();
    }
  });
});
