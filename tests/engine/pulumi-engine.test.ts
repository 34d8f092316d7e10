/**
 * scripts/pulumi-engine.sh's view of its cache, on a cache of its own (PRECOG_CACHE_DIR) whose
 * parts are small files with stamps, and no source archives (PRECOG_PULUMI_SOURCE_DIR empty): a
 * complete cache answers with its bin folder; a part whose file was replaced after it was placed
 * is not current any more, and with nothing here to make it from, the script stops with exit 3
 * naming that part and the ordinary way to install it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
let base: string;
let keydir: string;

/** The cache key the script derives from package-lock.json: its CLI and plugin versions. */
function lockedKey(): { key: string; pg: string; random: string } {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
  const v = (name: string) => lock[`node_modules/${name}`].version as string;
  return {
    key: `v${v("@pulumi/pulumi")}-pg${v("@pulumi/postgresql")}-random${v("@pulumi/random")}`,
    pg: v("@pulumi/postgresql"),
    random: v("@pulumi/random"),
  };
}

function writePart(file: string, content: string): void {
  mkdirSync(resolve(file, ".."), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n# ${content}\n`);
  chmodSync(file, 0o755);
}

function engine(): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", [join(ROOT, "scripts/pulumi-engine.sh"), "path"], {
    encoding: "utf8",
    env: {
      PATH: "/usr/bin:/bin",
      HOME: base,
      PRECOG_CACHE_DIR: join(base, "cache"),
      PRECOG_PULUMI_SOURCE_DIR: join(base, "no-archives"),
      PRECOG_PULUMI_ENGINE: "cache",
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "precog-engine-"));
  mkdirSync(join(base, "no-archives"));
  const { key, pg, random } = lockedKey();
  keydir = join(base, "cache", "pulumi-engine", key);
  const files: Record<string, string> = {
    pulumi: join(keydir, "bin", "pulumi"),
    "pulumi-language-nodejs": join(keydir, "bin", "pulumi-language-nodejs"),
    "pulumi-resource-pulumi-nodejs": join(keydir, "bin", "pulumi-resource-pulumi-nodejs"),
    "pulumi-resource-postgresql": join(
      keydir,
      "home",
      "plugins",
      `resource-postgresql-v${pg}`,
      "pulumi-resource-postgresql",
    ),
    "pulumi-resource-random": join(keydir, "home", "plugins", `resource-random-v${random}`, "pulumi-resource-random"),
  };
  mkdirSync(join(keydir, "stamps"), { recursive: true });
  for (const [part, file] of Object.entries(files)) {
    writePart(file, part);
    writeFileSync(join(keydir, "stamps", part), "go module proxy\n");
  }
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("scripts/pulumi-engine.sh and its cache", () => {
  it("answers with the bin folder when every part is current, and records each file it vouches for", () => {
    const r = engine();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(keydir, "bin"));
    expect(readFileSync(join(keydir, "stamps", "pulumi-language-nodejs.binary"), "utf8")).toMatch(/^\d+ \d+\n$/);
    expect(engine().status).toBe(0);
  });

  it("does not take a part whose file was replaced after it was placed", () => {
    expect(engine().status).toBe(0);
    const langhost = join(keydir, "bin", "pulumi-language-nodejs");
    writePart(langhost, "a different language host, written over the one the stamp describes");
    utimesSync(langhost, new Date(), new Date(Date.now() + 5000));
    const r = engine();
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`pulumi-language-nodejs: ${langhost} changed after it was placed`);
    expect(r.stderr).toMatch(/the Pulumi engine is incomplete: pulumi-language-nodejs\n/);
    expect(r.stdout).toBe("");
  });
});
