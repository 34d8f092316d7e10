/**
 * The pre-migration backup interrupted (issue 30, item 9): pg_dump writes under a temporary name,
 * renamed to the dump's name only when complete, and a signal to the process that runs it (the
 * command, not its process group) stops pg_dump too and removes the incomplete file, so no file
 * named like a good dump is left and no pg_dump runs on without its parent.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/migrate";
import { clientConfig } from "../helpers/pg";
import { assertDistFresh, REPO, scratchMigrations, sql, waitFor } from "./helpers";

const s = scratchMigrations("bksig");
let backups: string;
beforeEach(() => {
  backups = join(mkdtempSync(join(tmpdir(), "precog-bksig-")), "backups");
});
afterEach(() => rmSync(join(backups, ".."), { recursive: true, force: true }));

/** Backends of pg_dump on the test's database. */
async function pgDumpBackends(database: string): Promise<number> {
  const r = await s.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${database}' AND application_name = 'pg_dump'`,
  );
  return r.rows[0].n;
}

describe("the pre-migration backup", () => {
  it("is named like a dump only once complete: the folder holds the dump and nothing else", async () => {
    s.files({ "1_t.sql": sql("CREATE TABLE t (id int);") });
    const r = await migrate({ ...s.opts(), environment: "staging", backupDir: backups });
    expect(readdirSync(backups)).toEqual([(r.backupFile as string).slice(backups.length + 1)]);
    expect(r.backupFile).toMatch(/\/staging-\d{8}T\d{6}Z-0-to-1\.dump$/);
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s to the process alone stops pg_dump and leaves no dump, complete-looking or partial",
    async (signal) => {
      assertDistFresh();
      s.files({ "1_t.sql": sql("CREATE TABLE t (id int);") });
      await migrate(s.opts());
      s.files({ "1_t.sql": sql("CREATE TABLE t (id int);"), "2_u.sql": sql("CREATE TABLE u (id int);") });
      // pg_dump waits for this lock, so the backup is mid-way when the signal comes.
      const blocker = new Client(clientConfig(s.db));
      await blocker.connect();
      try {
        await blocker.query("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
        // The options (a password among them) in the environment, not in the arguments.
        const options = JSON.stringify({ ...s.opts(), environment: "staging", backupDir: backups });
        const script = `require(${JSON.stringify(join(REPO, "dist/migrate/index.js"))})
          .migrate(JSON.parse(process.env.MIGRATE_OPTIONS))
          .then(() => console.log("finished"), (e) => { console.error(e.message); process.exit(2); });`;
        const child = spawn(process.execPath, ["-e", script], {
          env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MIGRATE_OPTIONS: options },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (b) => (stderr += b));
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
          child.on("close", (code, sig) => ok({ code, signal: sig })),
        );
        await waitFor(async () => (await pgDumpBackends(s.db)) === 1, 20_000, "pg_dump waiting for the lock");
        child.kill(signal);
        const end = await exited;
        expect(end).toEqual({ code: null, signal });
        expect(stderr).toMatch(
          new RegExp(
            `^precog-db: interrupted by ${signal} during the backup: stopped pg_dump and removed the incomplete ${backups}/staging-\\d{8}T\\d{6}Z-1-to-2\\.dump\\.partial\\. Nothing was applied\\.\\n$`,
          ),
        );
        // pg_dump went with it (an orphan would still be waiting for the lock).
        await waitFor(async () => (await pgDumpBackends(s.db)) === 0, 10_000, "pg_dump gone");
        expect(readdirSync(backups)).toEqual([]);
      } finally {
        await blocker.query("ROLLBACK").catch(() => undefined);
        await blocker.end();
      }
      expect(await s.versions()).toEqual(["1"]);
    },
  );
});
