/**
 * src/fs/write-atomically.ts: a file written whole or not at all, with nothing left beside it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomically } from "../../src/fs/write-atomically";
import { scratchDir } from "../helpers/scratch-dir";

describe("writeFileAtomically", () => {
  it("writes a new file, then replaces it whole, leaving no temporary file", () => {
    const dir = scratchDir("write-atomically");
    const file = join(dir, "cache.json");
    writeFileAtomically(file, "first");
    expect(readFileSync(file, "utf8")).toBe("first");
    writeFileAtomically(file, Buffer.from("second"));
    expect(readFileSync(file, "utf8")).toBe("second");
    expect(readdirSync(dir)).toEqual(["cache.json"]);
  });

  it("when the rename fails, throws, leaves what was there as it was and removes its temporary file", () => {
    const dir = scratchDir("write-atomically");
    // A folder in the file's place: the data is written beside it, and the rename over it fails.
    const target = join(dir, "cache.json");
    mkdirSync(target);
    writeFileSync(join(target, "inside"), "kept");
    expect(() => writeFileAtomically(target, "new")).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(["cache.json"]);
    expect(readFileSync(join(target, "inside"), "utf8")).toBe("kept");
  });

  it("when the write fails, throws and leaves nothing", () => {
    const dir = scratchDir("write-atomically");
    expect(() => writeFileAtomically(join(dir, "missing", "cache.json"), "data")).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
