/**
 * The provider reads the folder once for a diff and the update after it: the update takes the files
 * the diff read for the same digest (the program's), and the engine holds the folder to that digest
 * when it applies (`expectFiles`), so a file added between the diff and the update is refused with
 * nothing applied, not applied unchecked. On a real server; the contract's readFolder counted
 * through a pass-through mock.
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import * as contract from "../../infra/migrations/contract";
import { migrationsProvider } from "../../infra/migrations/plugin/server";
import { devProviderInputs } from "../helpers/provider-inputs";
import { recordedVersions } from "../helpers/recorded";
import { scratchMigrations } from "../migrate/helpers";

vi.mock("../../infra/migrations/contract", async (actual) => {
  const real = await actual<typeof import("../../infra/migrations/contract")>();
  return { ...real, readFolder: vi.fn(real.readFolder) };
});
const reads = vi.mocked(contract.readFolder);

const URN = "urn:pulumi:dev::precog::precog-migrations:index:Migrations::precog-dev-migrations";
const logged: string[] = [];
const log = {
  of: () => ({ info: async (m: string) => void logged.push(m), warn: async (m: string) => void logged.push(m) }),
  connect: () => {},
};
const provider = migrationsProvider("0.0.0-test", log);
const file = (table: string) =>
  `-- migrate:up\nCREATE TABLE ${table} (id int);\n-- migrate:down\nDROP TABLE ${table};\n`;

const scratch = scratchMigrations("folderonce");

/** The resource created with 0001 applied (a database and a folder of the test's own), then 0002 written: its folder, its recorded state and the inputs now. */
async function withOnePending() {
  const dir = scratch.files({ "0001_a.sql": file("a") });
  const created = await provider.create?.(URN, await devProviderInputs(dir, scratch.db));
  writeFileSync(join(dir, "0002_b.sql"), file("b"));
  const news = await devProviderInputs(dir, scratch.db);
  reads.mockClear();
  logged.length = 0;
  return { dir, olds: created?.outs, news };
}

describe("the provider's folder read, between a diff and its update", () => {
  it("is one read: the update takes the files the diff read, and applies them", async () => {
    const { olds, news } = await withOnePending();
    expect((await provider.diff?.("migrations", URN, olds, news))?.changes).toBe(true);
    const updated = await provider.update?.("migrations", URN, olds, news);
    expect(recordedVersions(updated?.outs)).toEqual(["1", "2"]);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it("a file added after the diff: the update refuses the folder, applying nothing", async () => {
    const { dir, olds, news } = await withOnePending();
    expect((await provider.diff?.("migrations", URN, olds, news))?.changes).toBe(true);
    writeFileSync(join(dir, "0003_c.sql"), file("c"));
    await expect(provider.update?.("migrations", URN, olds, news)).rejects.toThrow(
      new RegExp(
        `^The migration files in ${dir} changed after they were read \\(read: 2 file\\(s\\), newest 2, digest [0-9a-f]{12}; ` +
          "now: 3 file\\(s\\), newest 3, digest [0-9a-f]{12}\\): nothing was applied; run the command again\\.\\n",
      ),
    );
    expect(reads).toHaveBeenCalledTimes(1);
    const again = await provider.read?.("migrations", URN, olds);
    expect(recordedVersions(again?.props)).toEqual(["1"]);
  });

  it("every diff reads the folder itself: a file renamed between two diffs (its version and checksum the same) shows under its new name", async () => {
    const { dir, olds, news } = await withOnePending();
    await provider.diff?.("migrations", URN, olds, news);
    renameSync(join(dir, "0002_b.sql"), join(dir, "0002_renamed.sql"));
    await provider.diff?.("migrations", URN, olds, news);
    expect(logged).toEqual(["pending migrations: 0002_b.sql", "pending migrations: 0002_renamed.sql"]);
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
