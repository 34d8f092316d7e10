import {
  chmodSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { envValue, type LocalStackOutputs, renderEnvFile } from "../../scripts/env-file";
import { writeEnvFile } from "../../src/env/env-file";

const dev: LocalStackOutputs = {
  environment: "dev",
  server: "local",
  host: "127.0.0.1",
  port: 54329,
  database: "precog_dev",
  roles: {
    databaseOwner: "precog_dev_dbowner",
    owner: "precog_dev_owner",
    migrator: "precog_dev_migrator",
    app: "precog_dev_user",
    readonly: "precog_dev_readonly",
  },
  pool: { min: 2, max: 10 },
  credentials: { migrator: { password: "migrator456" }, app: { password: "pw123" }, readonly: { password: "ro789" } },
};

describe("renderEnvFile", () => {
  it("writes the app's variables and the migration login (the migrator) for a local stack", () => {
    expect(renderEnvFile(dev)).toBe(
      '# Written by scripts/env-file.ts from stack "dev"; do not commit.\n' +
        "PRECOG_ENV=dev\nDB_HOST=127.0.0.1\nDB_PORT=54329\nDB_NAME=precog_dev\nDB_USER=precog_dev_user\n" +
        "DB_PASSWORD=pw123\nDB_MIGRATION_USER=precog_dev_migrator\nDB_MIGRATION_PASSWORD=migrator456\n" +
        "DB_POOL_MIN_CONN=2\nDB_POOL_MAX_CONN=10\n",
    );
  });
  it("refuses prod", () => {
    expect(() => renderEnvFile({ ...dev, environment: "prod" })).toThrow(
      "Refusing to write an env file for prod: prod credentials stay in Secrets Manager.",
    );
  });
  it("refuses an aws stack", () => {
    expect(() =>
      renderEnvFile({
        ...dev,
        environment: "staging",
        server: "aws",
        credentials: { migrator: { password: null }, app: { password: null }, readonly: { password: null } },
      }),
    ).toThrow(
      'Stack "staging" keeps its credentials in Secrets Manager (server: aws); the app reads them from there, so there is no env file to write.',
    );
  });
});

describe("writeEnvFile (issue 30, item 16)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "precog-env-file-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const secret = "DB_PASSWORD=new-secret\n";

  it("creates a new file private (0600) whatever the umask, and leaves no temporary file", () => {
    const out = join(dir, ".env.dev");
    const umask = process.umask(0);
    try {
      writeEnvFile(out, secret);
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(out, "utf8")).toBe(secret);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([".env.dev"]);
  });

  it("swaps a new file in: the passwords never go into the old file, even a world-readable one", () => {
    const out = join(dir, ".env.dev");
    writeFileSync(out, "DB_PASSWORD=old\n", { mode: 0o644 });
    chmodSync(out, 0o644);
    // Another name for the old file's contents, as a reader that opened it before the swap has.
    linkSync(out, join(dir, "old-copy"));
    writeEnvFile(out, secret);
    expect(readFileSync(join(dir, "old-copy"), "utf8")).toBe("DB_PASSWORD=old\n");
    expect(readFileSync(out, "utf8")).toBe(secret);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual([".env.dev", "old-copy"]);
  });

  it("never writes through a symbolic link: refuses, naming it and what to do, and leaves both as they were", () => {
    const target = join(dir, "elsewhere");
    writeFileSync(target, "precious\n");
    const out = join(dir, ".env.dev");
    symlinkSync(target, out);
    expect(() => writeEnvFile(out, secret)).toThrow(
      `${out} is a symbolic link (to ${target}): the env file is written only as a file of its own, never through a link. Remove the link, or pass --out <file>. Nothing was written.`,
    );
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(readlinkSync(out)).toBe(target);
    expect(readdirSync(dir).sort()).toEqual([".env.dev", "elsewhere"]);
  });
});

describe("a value the .env parser reads back whole", () => {
  it.each([
    ["Abc123xyz", "Abc123xyz"],
    ["p%41%#?&/@:w", "'p%41%#?&/@:w'"],
    ["a b", "'a b'"],
    [`it's "#"`, `\`it's "#"\``],
    ["$HOME \\n", "'$HOME \\n'"],
  ])("%s is written %s", (value, written) => {
    expect(envValue("DB_PASSWORD", value)).toBe(written);
    expect(parseEnv(`DB_PASSWORD=${written}\n`).DB_PASSWORD).toBe(value);
  });

  it.each(["a'b`c", "line\nbreak"])("refuses %j, naming the variable", (value) => {
    expect(() => envValue("DB_PASSWORD", value)).toThrow(
      "DB_PASSWORD holds a line break, or both a single quote and a backquote, which a .env line cannot carry: choose another value. Nothing was written.",
    );
  });
});
