/**
 * The RDS snapshot before an apply (infra/migrations/plugin/snapshot.ts) with a fake RDS client: it waits
 * until the snapshot is available and returns its identifier; a failed or late snapshot is an
 * error. Then through the provider's create against real PostgreSQL: the snapshot is taken before
 * anything is applied and recorded as lastBackup, and a failed snapshot stops the apply.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MigrationsInputs, MigrationsState } from "../../infra/migrations/contract";
import { create, snapshotClients } from "../../infra/migrations/plugin/crud";
import { type RdsSnapshots, snapshotBeforeApply } from "../../infra/migrations/plugin/snapshot";
import { migrationFiles, summaryOf } from "../../src/migrate";
import { createScratchDatabase, dropDatabase, withAdmin } from "../helpers/pg";
import { recordedVersions } from "../helpers/recorded";
import { migrationsDir, removeDir, sql } from "../migrate/helpers";
import { providerInputs } from "./provider-inputs";

const PLAN = {
  kind: "rds-snapshot",
  instanceId: "precog-staging",
  region: "us-east-1",
  keepLast: 10,
  keepDays: 0,
} as const;
const NOW = () => new Date("2026-12-01T23:45:07.123Z");
const ID = "precog-staging-premigration-20261201-234507";

/** A fake RDS: answers each status poll with the next of `statuses`, recording every call. */
function fakeRds(statuses: string[], onCreate: () => Promise<void> = async () => {}) {
  const calls: string[] = [];
  const rds: RdsSnapshots = {
    async create(instanceId, snapshotId) {
      calls.push(`create ${instanceId} ${snapshotId}`);
      await onCreate();
    },
    async status(snapshotId) {
      calls.push(`status ${snapshotId}`);
      return statuses.length > 1 ? statuses.shift() : statuses[0];
    },
    async manual(instanceId) {
      calls.push(`manual ${instanceId}`);
      return [];
    },
    async remove(snapshotId) {
      calls.push(`remove ${snapshotId}`);
    },
  };
  return { rds, calls };
}

describe("snapshotBeforeApply", () => {
  it("creates a snapshot of the instance, waits until it is available, returns its identifier", async () => {
    const { rds, calls } = fakeRds(["creating", "creating", "available"]);
    expect(await snapshotBeforeApply(PLAN, rds, { now: NOW, pollMs: 1 })).toBe(ID);
    expect(calls).toEqual([`create precog-staging ${ID}`, `status ${ID}`, `status ${ID}`, `status ${ID}`]);
  });

  it.each(["failed", "incompatible-restore"])(
    "a snapshot that ends %s is an error saying nothing was applied",
    async (end) => {
      const { rds } = fakeRds(["creating", end]);
      await expect(snapshotBeforeApply(PLAN, rds, { now: NOW, pollMs: 1 })).rejects.toThrow(
        `RDS snapshot ${ID} of precog-staging ended "${end}": no migration was applied`,
      );
    },
  );

  it("a snapshot not available in time is an error naming its last status", async () => {
    const { rds } = fakeRds(["creating"]);
    await expect(snapshotBeforeApply(PLAN, rds, { now: NOW, pollMs: 1, timeoutMs: 20 })).rejects.toThrow(
      `RDS snapshot ${ID} of precog-staging was not available in time (status "creating"): no migration was applied`,
    );
  });

  it("a refused CreateDBSnapshot stops there, polling nothing", async () => {
    const { rds, calls } = fakeRds(["available"], async () => {
      throw new Error("SnapshotQuotaExceeded");
    });
    await expect(snapshotBeforeApply(PLAN, rds, { now: NOW, pollMs: 1 })).rejects.toThrow("SnapshotQuotaExceeded");
    expect(calls).toEqual([`create precog-staging ${ID}`]);
  });
});

describe("the provider's apply on an aws stack, against real PostgreSQL", () => {
  let db: string;
  let dir: string;
  const original = snapshotClients.rds;
  beforeEach(async () => {
    db = await createScratchDatabase("snap");
    dir = migrationsDir({
      "0001_t.sql": sql("CREATE TABLE t (v int);", "DROP TABLE t;"),
      "0002_u.sql": sql("CREATE TABLE u (v int);", "DROP TABLE u;"),
    });
  });
  afterEach(async () => {
    snapshotClients.rds = original;
    await dropDatabase(db);
    removeDir(dir);
  });
  const inputs = async (): Promise<MigrationsInputs> =>
    providerInputs(db, dir, {
      environment: "staging",
      predecessorApplied: { newest: (await migrationFiles(dir, false)).at(-1)?.version ?? null, differs: {} },
      backup: PLAN,
      operator: "backup-test",
    });
  const tables = async () =>
    (
      await withAdmin((c) => c.query("select tablename from pg_tables where schemaname = 'public' order by 1"), db)
    ).rows.map((r) => r.tablename);

  it("snapshots before applying anything, then records the snapshot as lastBackup", async () => {
    const seenAtCreate: string[][] = [];
    const { rds, calls } = fakeRds(["available"], async () => {
      seenAtCreate.push(await tables());
    });
    snapshotClients.rds = async (region) => {
      calls.push(`client ${region}`);
      return rds;
    };
    const { outs } = await create(await inputs());
    expect(calls[0]).toBe("client us-east-1");
    expect(calls[1]).toMatch(/^create precog-staging precog-staging-premigration-\d{8}-\d{6}$/);
    expect(seenAtCreate).toEqual([[]]);
    expect(outs.lastBackup).toBe(calls[1].split(" ")[2]);
    expect(recordedVersions(outs)).toEqual(["1", "2"]);
    expect(await tables()).toEqual(["t", "u"]);
  });

  it("a failed snapshot stops the apply: nothing applied, the error says so, no backup recorded", async () => {
    const { rds } = fakeRds(["failed"]);
    snapshotClients.rds = async () => rds;
    const err = await create(await inputs()).then(
      () => undefined,
      (e: Error & { properties?: MigrationsState }) => e,
    );
    expect(err?.message).toMatch(
      /^RDS snapshot precog-staging-premigration-\S+ of precog-staging ended "failed": no migration was applied\n/,
    );
    expect(err?.properties?.lastBackup).toBeNull();
    expect(err?.properties?.applied).toEqual(summaryOf([]));
    expect(await tables()).toEqual([]);
  });
});
