/**
 * The committed stack file's parsed form is cached beside it (node_modules/.cache/precog-db), keyed
 * by the file's text: a process that finds the same text does not load the YAML parser; a changed
 * file is parsed again. Each case runs the built module in a fresh process, as the command does.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertDistFresh, REPO } from "../migrate/helpers";

/** committedStack("dev", dir) in a fresh Node process: the database it names, and whether the YAML parser was loaded. */
function readInFreshProcess(dir: string): { database: string; yamlLoaded: boolean } {
  const script = `
    const { committedStack } = require(${JSON.stringify(join(REPO, "dist/config/stack-file.js"))});
    const database = committedStack("dev", ${JSON.stringify(dir)}).database;
    const yamlLoaded = Object.keys(require.cache).some((k) => k.includes("/node_modules/yaml/"));
    process.stdout.write(JSON.stringify({ database, yamlLoaded }));`;
  const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("the committed stack file's cache", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a second process with the same file does not load the YAML parser; a changed file is parsed again", () => {
    assertDistFresh(["config"]);
    dir = mkdtempSync(join(tmpdir(), "precog-stack-cache-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: x\n");
    copyFileSync(join(REPO, "Pulumi.dev.yaml"), join(dir, "Pulumi.dev.yaml"));
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev", yamlLoaded: true });
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev", yamlLoaded: false });
    const text = readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8");
    writeFileSync(join(dir, "Pulumi.dev.yaml"), text.replace("precog_dev\n", "precog_dev_other\n"));
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev_other", yamlLoaded: true });
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev_other", yamlLoaded: false });
  });

  it("a damaged cache is parsed past and rewritten", () => {
    dir = mkdtempSync(join(tmpdir(), "precog-stack-cache-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: x\n");
    copyFileSync(join(REPO, "Pulumi.dev.yaml"), join(dir, "Pulumi.dev.yaml"));
    readInFreshProcess(dir);
    writeFileSync(join(dir, "node_modules/.cache/precog-db/stack-dev.json"), "{not json");
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev", yamlLoaded: true });
    expect(readInFreshProcess(dir)).toEqual({ database: "precog_dev", yamlLoaded: false });
  });
});
