/**
 * What the plugin's provider checks before applying (infra/migrations/plugin/pending.ts): the
 * pending files, from the ledger the resource recorded (diff) or all of them for a new resource
 * (check); the stack-order gate against the predecessor's ledger; the lint, its warnings through
 * the engine's log (on dev and test in the previews of a create or update only); drift. None of it
 * queries the database (the inputs point at a port nothing listens on) but where the recorded
 * summary does not settle the ledger: the last block shows that read and its error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { stateOf } from "../../infra/migrations/contract";
import type { EngineLog } from "../../infra/migrations/plugin/engine-log";
import { migrationsPreviews, migrationsProvider } from "../../infra/migrations/plugin/server";
import { listDigest, migrationFiles, predecessorView, summaryOf } from "../../src/migrate";

const dir = mkdtempSync(join(tmpdir(), "precog-pending-checks-"));
writeFileSync(join(dir, "0001_a.sql"), "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n");
writeFileSync(join(dir, "0002_drop_a.sql"), "-- migrate:up\nDROP TABLE a;\n-- migrate:down\nSELECT 1;\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urn = (stack: string) =>
  `urn:pulumi:${stack}::precog::precog-migrations:index:Migrations::precog-${stack}-migrations`;
let logged: string[];
beforeEach(() => {
  logged = [];
});
const log: EngineLog = {
  of: (u) => ({
    info: async (m) => void logged.push(`${u.split("::").at(-1)} info: ${m}`),
    warn: async (m) => void logged.push(`${u.split("::").at(-1)} warn: ${m}`),
  }),
  connect: () => void logged.push("connect"),
};
const provider = migrationsProvider("0.0.0-test", log);
const previews = migrationsPreviews(log);

async function files() {
  return migrationFiles(dir, false);
}

async function inputs(environment: string, over: Record<string, unknown> = {}) {
  return {
    environment,
    login: {
      kind: "provider-config" as const,
      host: "127.0.0.1",
      port: 1,
      database: "none",
      user: "none",
      sslMode: "disable",
    },
    dir,
    files: listDigest(await files()),
    predecessor: null,
    predecessorApplied: null,
    backup: { kind: "none" as const },
    operator: "test",
    ...over,
  };
}

/** The ledger of a state with `versions` applied. */
async function ledgerOf(versions: string[]) {
  return (await files())
    .filter((f) => versions.includes(f.version))
    .map(({ version, name, checksum }) => ({
      version,
      name,
      checksum,
      appliedAt: "2026-12-01T00:00:00Z",
      appliedBy: "t",
    }));
}

/** The state a resource recorded with `versions` applied. */
async function recorded(environment: string, versions: string[]) {
  return stateOf(await inputs(environment), summaryOf(await ledgerOf(versions)), null);
}

/** What a predecessor with `versions` applied has applied of the files, as the program hands it over. */
const predecessorWith = async (versions: string[]) =>
  predecessorView(summaryOf((await files()).filter((f) => versions.includes(f.version))), await files());

describe("the provider's diff of a recorded resource", () => {
  it("finds nothing pending when the ledger has every file: no change, nothing logged", async () => {
    const d = await provider.diff?.("migrations", urn("dev"), await recorded("dev", ["1", "2"]), await inputs("dev"));
    expect(d?.changes).toBe(false);
    expect(logged).toEqual([]);
  });

  it("names what is pending from the recorded ledger; on dev the lint's warnings are the preview's, not the diff's", async () => {
    const olds = await recorded("dev", ["1"]);
    const d = await provider.diff?.("migrations", urn("dev"), olds, await inputs("dev"));
    expect(d?.changes).toBe(true);
    expect(logged).toEqual(["precog-dev-migrations info: pending migrations: 0002_drop_a.sql"]);
    await previews.update(urn("dev"), olds, await inputs("dev"));
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatch(/^precog-dev-migrations warn: 0002_drop_a\.sql:2:1 drop-table: /);
  });

  it("lints nothing in the preview of a staging or prod update (its diff did), nor of anything with nothing pending", async () => {
    for (const stack of ["staging", "prod"]) {
      await previews.update(urn(stack), await recorded(stack, ["1"]), await inputs(stack));
      await previews.create(urn(stack), await inputs(stack));
    }
    await previews.update(urn("dev"), await recorded("dev", ["1", "2"]), await inputs("dev"));
    expect(logged).toEqual([]);
  });

  it("refuses a pending file the predecessor has not applied, naming it, its checksum and both stacks", async () => {
    const sum = (await files())[1].checksum.slice(0, 12);
    const news = await inputs("staging", { predecessor: "test", predecessorApplied: await predecessorWith(["1"]) });
    const refused = provider.diff?.("migrations", urn("staging"), await recorded("staging", ["1"]), news);
    await expect(refused).rejects.toThrow(
      'Refusing to apply migrations on stack "staging": the stack before it, "test", must apply each first (dev -> test -> staging -> prod):\n' +
        `  - 2_drop_a.sql (checksum ${sum}): stack "test" has not applied it; stack "staging" lacks it until "test" does\n` +
        'Deploy "test" first (pulumi up --stack test), then this stack.',
    );
    expect(logged).toEqual([]);
  });

  it("refuses on prod a lint finding its file does not approve", async () => {
    const news = await inputs("prod", {
      predecessor: "staging",
      predecessorApplied: await predecessorWith(["1", "2"]),
    });
    const refused = provider.diff?.("migrations", urn("prod"), await recorded("prod", ["1"]), news);
    await expect(refused).rejects.toThrow(
      /^Lint refuses 1 finding\(s\) in pending migrations on prod;[\s\S]*0002_drop_a\.sql:2:1 drop-table/,
    );
  });

  it("refuses drift: an applied file changed since, saying what differs and what to do", async () => {
    const ledger = (await ledgerOf(["1", "2"])).map((e) =>
      e.version === "1" ? { ...e, checksum: "0".repeat(64) } : e,
    );
    const changed = { ...(await recorded("dev", [])), applied: summaryOf(ledger) };
    await expect(provider.diff?.("migrations", urn("dev"), changed, await inputs("dev"))).rejects.toThrow(
      /^Migration drift on dev: the recorded ledger and the migration files disagree:\n {2}- 0001_a\.sql changed after it was applied \(applied 000000000000, file [0-9a-f]{12}\): restore the applied content/,
    );
  });

  it("reads a state recorded with the ledger as a list (before it was JSON text)", async () => {
    const { applied: _, ...rest } = await recorded("dev", []);
    const listed = { ...rest, ledger: await ledgerOf(["1"]) };
    const d = await provider.diff?.("migrations", urn("dev"), listed, await inputs("dev"));
    expect(d?.changes).toBe(true);
    expect(logged).toEqual(["precog-dev-migrations info: pending migrations: 0002_drop_a.sql"]);
  });

  it("asks for an update of a state with the ledger as a list even with nothing pending, so that it is rewritten as a summary", async () => {
    const { applied: _, ...rest } = await recorded("dev", []);
    const listed = { ...rest, ledger: await ledgerOf(["1", "2"]) };
    const d = await provider.diff?.("migrations", urn("dev"), listed, await inputs("dev"));
    expect(d?.changes).toBe(true);
    expect(logged).toEqual([]);
  });

  it("reads a state recorded with the summary's whole text (before it listed the newest alone), and asks for an update that rewrites it", async () => {
    for (const [versions, pending] of [
      [["1"], ["precog-dev-migrations info: pending migrations: 0002_drop_a.sql"]],
      [["1", "2"], []],
    ] as const) {
      logged.length = 0;
      const ledger = (await ledgerOf([...versions])).map((e) => `${e.version} ${e.checksum}`).join("\n");
      const { count, newest, digest } = summaryOf(await ledgerOf([...versions]));
      const former = { ...(await recorded("dev", [])), applied: { count, newest, digest, applied: ledger } };
      const d = await provider.diff?.("migrations", urn("dev"), former, await inputs("dev"));
      expect(d?.changes).toBe(true);
      expect(logged).toEqual(pending);
    }
  });

  it("a folder that is not what the inputs say: the diff asks for an update, which refuses it, applying nothing", async () => {
    // The program read one file, which is not applied; the folder has two (changed during the run,
    // or, to a refresh, whose inputs are the recorded ones, since they were recorded).
    const news = { ...(await inputs("dev")), files: listDigest((await files()).slice(0, 1)) };
    const d = await provider.diff?.("migrations", urn("dev"), await recorded("dev", []), news);
    expect(d?.changes).toBe(true);
    expect(logged).toEqual([]);
    await expect(provider.update?.("migrations", urn("dev"), await recorded("dev", []), news)).rejects.toThrow(
      new RegExp(
        `^The migration files in ${dir} changed after they were read \\(read: 1 file\\(s\\), newest 1, digest [0-9a-f]{12}; ` +
          "now: 2 file\\(s\\), newest 2, digest [0-9a-f]{12}\\): nothing was applied; run the command again\\.$",
      ),
    );
  });

  it("reads a state recorded with the ledger as JSON text (before the summary), and asks for an update that rewrites it", async () => {
    const { applied: _, ...rest } = await recorded("dev", []);
    for (const [versions, pending] of [
      // The pending file named (dev lints in previews only).
      [["1"], [/^precog-dev-migrations info: pending migrations: 0002_drop_a\.sql$/]],
      [["1", "2"], []],
    ] as const) {
      logged.length = 0;
      const former = { ...rest, ledgerJson: JSON.stringify(await ledgerOf([...versions])) };
      const d = await provider.diff?.("migrations", urn("dev"), former, await inputs("dev"));
      expect(d?.changes).toBe(true);
      expect(logged).toHaveLength(pending.length);
      for (const [i, line] of pending.entries()) expect(logged[i]).toMatch(line);
    }
  });
});

describe("the provider's check", () => {
  it("of a new resource takes every file as pending: gated and named", async () => {
    const news = await inputs("test", { predecessor: "dev", predecessorApplied: await predecessorWith(["1"]) });
    await expect(provider.check?.(urn("test"), {}, news)).rejects.toThrow(
      /2_drop_a\.sql \(checksum [0-9a-f]{12}\): stack "dev" has not applied it; stack "test" lacks it/,
    );
    const allowed = await inputs("test", { predecessor: "dev", predecessorApplied: await predecessorWith(["1", "2"]) });
    expect(await provider.check?.(urn("test"), {}, allowed)).toEqual({ inputs: allowed });
    // Each check found new files: it opened the engine's log ahead of the message.
    expect(logged).toEqual([
      "connect",
      "connect",
      "precog-test-migrations info: pending migrations: 0001_a.sql, 0002_drop_a.sql",
    ]);
    // The preview of its create: the lint's warnings on test.
    await previews.create(urn("test"), allowed);
    expect(logged.slice(3)).toEqual([
      expect.stringMatching(/^precog-test-migrations warn: 0002_drop_a\.sql:2:1 drop-table: /),
    ]);
  });

  it("of a recorded resource leaves the pending files to the diff, which has the ledger", async () => {
    const news = await inputs("test", { predecessor: "dev", predecessorApplied: await predecessorWith([]) });
    expect(await provider.check?.(urn("test"), await inputs("test"), news)).toEqual({ inputs: news });
    // The same files as the last run: no connection to the engine either.
    expect(logged).toEqual([]);
  });
});

describe("a recorded summary that does not settle the ledger", () => {
  // 150 files; the state records all but version 10 (a file added later among old ones): the
  // files before the summary's newest hundred (51..150) are not the 49 it applied there.
  const wide = mkdtempSync(join(tmpdir(), "precog-pending-wide-"));
  for (let v = 1; v <= 150; v++)
    writeFileSync(
      join(wide, `${String(v).padStart(4, "0")}_t${v}.sql`),
      `-- migrate:up\nCREATE TABLE t${v} (id int);\n`,
    );
  afterAll(() => rmSync(wide, { recursive: true, force: true }));

  it("is read from the database's history table; when that fails, the error says why it was read and what failed", async () => {
    const all = await migrationFiles(wide, false);
    const news = { ...(await inputs("dev")), dir: wide, files: listDigest(all) };
    const olds = stateOf(news, summaryOf(all.filter((f) => f.version !== "10")), null);
    await expect(provider.diff?.("migrations", urn("dev"), olds, news)).rejects.toThrow(
      /^The recorded ledger summary does not say what was applied before version 51 \(the files there are not the ones applied\), and reading precog_migrations\.history of none@127\.0\.0\.1:1\/none failed: /,
    );
  });

  it("is not read when the summary settles it: a file added among the newest hundred is pending", async () => {
    const all = await migrationFiles(wide, false);
    const news = { ...(await inputs("dev")), dir: wide, files: listDigest(all) };
    const olds = stateOf(news, summaryOf(all.filter((f) => f.version !== "120")), null);
    const d = await provider.diff?.("migrations", urn("dev"), olds, news);
    expect(d?.changes).toBe(true);
    expect(logged).toEqual(["precog-dev-migrations info: pending migrations: 0120_t120.sql"]);
  });
});
