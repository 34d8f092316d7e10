/**
 * The migration provider past the newest 100 its summary lists, on a real server: what the summary
 * cannot settle it reads from the history table. A file added among the old ones and applied by
 * `precog-db migrate --allow-out-of-order` is recorded by the next update (not left stale); an
 * applied file edited in place, older than the list, is refused as drift.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MigrationsState, recordedSummary } from "../../infra/migrations/contract";
import { migrationsProvider } from "../../infra/migrations/plugin/server";
import { migrate, sameList } from "../../src/migrate";
import { adminConfig, createScratchDatabase, dropDatabase } from "../helpers/pg";
import { devProviderInputs } from "../helpers/provider-inputs";

const URN = "urn:pulumi:dev::precog::precog-migrations:index:Migrations::precog-dev-migrations";
const file = (v: number, up = `CREATE TABLE t${v} (id int);`) => [
  `${String(v).padStart(4, "0")}_t${v}.sql`,
  `-- migrate:up\n${up}\n-- migrate:down\nDROP TABLE t${v};\n`,
];

describe("the provider past the newest 100 its summary lists", () => {
  let database: string;
  let dir: string;
  const logged: string[] = [];
  const provider = migrationsProvider("0.0.0-test", {
    of: () => ({ info: async (m: string) => void logged.push(m), warn: async (m: string) => void logged.push(m) }),
    connect: () => {},
  });
  const write = (v: number, up?: string) => {
    const [name, text] = file(v, up);
    writeFileSync(join(dir, name), text);
  };

  beforeAll(async () => {
    database = await createScratchDatabase("past_recent");
    dir = mkdtempSync(join(tmpdir(), "precog-past-recent-"));
    // 102 files but 0001: 101 applied by the create, more than the summary lists (3 to 102).
    for (let v = 2; v <= 102; v++) write(v);
  });
  afterAll(async () => {
    await dropDatabase(database);
    rmSync(dir, { recursive: true, force: true });
  });

  const inputs = () => devProviderInputs(dir, database);

  it("records a file applied out of order by the command since: one update applying nothing, then no change", async () => {
    const created = (await provider.create?.(URN, await inputs()))?.outs as MigrationsState;
    expect(created.applied.count).toBe(101);
    write(1);
    const { host, port, user, password } = adminConfig();
    const applied = await migrate({
      connection: { host, port, database, user, password },
      dir,
      environment: "dev",
      operator: "test",
      allowOutOfOrder: true,
    });
    expect(applied.applied.map((m) => m.version)).toEqual(["0001"]);

    const ins = await inputs();
    logged.length = 0;
    const d = await provider.diff?.("migrations", URN, created, ins);
    // Before its list (3 to 102) the state applied 2 alone, the files are 1 and 2: the table says
    // what is applied. Nothing pending, no drift: the update is for the state, which lacks 0001.
    expect(d?.changes).toBe(true);
    expect(logged).toEqual([]);
    const updated = (await provider.update?.("migrations", URN, created, ins))?.outs as MigrationsState;
    expect(updated.applied.count).toBe(102);
    expect(sameList(recordedSummary(updated, "dev"), ins.files)).toBe(true);
    expect((await provider.diff?.("migrations", URN, updated, ins))?.changes).toBe(false);
  });

  it("refuses an applied file edited in place older than the newest 100, found through the history table", async () => {
    const ins = await inputs();
    const state = (await provider.update?.("migrations", URN, (await provider.create?.(URN, ins))?.outs, ins))
      ?.outs as MigrationsState;
    write(1, "CREATE TABLE t1 (id bigint);");
    await expect(provider.diff?.("migrations", URN, state, await inputs())).rejects.toThrow(
      /^Migration drift on dev: the recorded ledger and the migration files disagree:\n {2}- 0001_t1\.sql changed after it was applied \(applied [0-9a-f]{12}, file [0-9a-f]{12}\): restore the applied content and put the change in a new migration$/,
    );
  });
});
