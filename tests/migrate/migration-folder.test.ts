/**
 * A migrations folder's digest through the stat cache (src/migrate `migrationFolder`): the files'
 * count, newest version and digest, the migration resource's input on every run. When no file
 * changed since a run that trusted them all, it comes from the cache's stamp without reading the
 * cache's entries; a changed file is checksummed again.
 */
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listDigest, migrationFiles, migrationFolder } from "../../src/migrate";
import { migrationsDir, removeDir } from "./helpers";

const sql = (up: string) => `-- migrate:up\n${up}\n-- migrate:down\nSELECT 1;\n`;
let dirs: string[] = [];
afterEach(() => {
  dirs.forEach(removeDir);
  dirs = [];
});

describe("migrationFolder", () => {
  it("gives the files' digest, from the stamp once every file is trusted, and again from the files after an edit", async () => {
    const dir = migrationsDir({ "0001_a.sql": sql("CREATE TABLE a (id int);"), "0002_b.sql": sql("SELECT 2;") });
    const cacheDir = mkdtempSync(join(tmpdir(), "precog-folder-cache-"));
    dirs.push(dir, cacheDir);
    const cache = join(cacheDir, "cache.json");
    const truth = async () => listDigest(await migrationFiles(dir, false));

    expect((await migrationFolder(dir, cache)).digest).toEqual(await truth());
    expect((await truth()).count).toBe(2);
    // Files younger than 2 s are not trusted (git's "racy" rule): after that, a scan records the stamp.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await migrationFolder(dir, cache)).digest).toEqual(await truth());
    const tree = JSON.parse(readFileSync(`${cache}.tree`, "utf8"));
    expect(tree).toMatchObject({ format: 3, files: await truth() });

    // Poison the stamp's digest: a scan that takes it from there (reading neither the entries nor the files) says so.
    writeFileSync(`${cache}.tree`, JSON.stringify({ ...tree, files: { ...tree.files, digest: "f".repeat(64) } }));
    const fromStamp = await migrationFolder(dir, cache);
    expect(fromStamp.digest.digest).toBe("f".repeat(64));
    // The files themselves still come from the entries, checked against each file's stat.
    expect(fromStamp.files()).toEqual(await migrationFiles(dir, false));

    // An edit changes the file's stat: the stamp no longer matches, and the digest is the files' again.
    writeFileSync(join(dir, "0002_b.sql"), sql("SELECT 22;"));
    const now = new Date();
    utimesSync(join(dir, "0002_b.sql"), now, now);
    const edited = await migrationFolder(dir, cache);
    expect(edited.digest).toEqual(await truth());
    expect(edited.digest.digest).not.toBe(tree.files.digest);
  });

  it("of an empty folder: count 0, no newest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "precog-folder-empty-"));
    dirs.push(dir);
    expect((await migrationFolder(dir, false)).digest).toEqual(listDigest([]));
  });
});
