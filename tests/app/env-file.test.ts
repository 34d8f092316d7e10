import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getEnvironment, loadVars, resolveSettings } from "../../src/app";
import { scratchDir } from "../helpers/scratch-dir";

function envFile(text: string): string {
  const dir = scratchDir("envfile");
  const path = join(dir, ".env");
  writeFileSync(path, text);
  return path;
}

describe("loadVars", () => {
  const file = envFile(
    '# comment\nPRECOG_ENV=test\nDB_POOL_MAX_CONN=7\nexport DB_POOL_MIN_CONN=1\nDB_PASSWORD="s p#ace"\n',
  );

  it("reads the file", () => {
    const { vars, file: read } = loadVars({ envFile: file, env: {} });
    expect(read).toBe(file);
    expect(vars).toEqual({ PRECOG_ENV: "test", DB_POOL_MAX_CONN: "7", DB_POOL_MIN_CONN: "1", DB_PASSWORD: "s p#ace" });
  });

  it("lets environment variables win over the file, but not empty ones (empty counts as unset)", () => {
    const { vars } = loadVars({ envFile: file, env: { DB_POOL_MAX_CONN: "9", PRECOG_ENV: "", DB_SSLMODE: "" } });
    expect(vars.DB_POOL_MAX_CONN).toBe("9");
    expect(vars.PRECOG_ENV).toBe("test");
    expect(vars.DB_SSLMODE).toBe("");
    expect(resolveSettings(vars)).toMatchObject({ env: "test", poolMin: 1, poolMax: 9 });
  });

  it("feeds environment selection", () => {
    expect(getEnvironment(loadVars({ envFile: file, env: {} }).vars)).toBe("test");
  });

  it("skips a missing default .env but not a missing named file", () => {
    const cwd = process.cwd();
    process.chdir(scratchDir("noenv"));
    try {
      expect(loadVars({ env: { A: "1" } })).toEqual({ vars: { A: "1" }, file: undefined });
    } finally {
      process.chdir(cwd);
    }
    expect(() => loadVars({ envFile: "/nonexistent/.env", env: {} })).toThrow(
      "Cannot read the env file /nonexistent/.env: ENOENT: no such file or directory",
    );
  });

  it("reads no file when told not to", () => {
    expect(loadVars({ envFile: false, env: { B: "2" } })).toEqual({ vars: { B: "2" }, file: undefined });
  });
});
