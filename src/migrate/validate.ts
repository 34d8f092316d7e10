/**
 * `validate`: is the live database what its migrations say it should be? Two checks, every
 * finding reported object by object:
 *  1. history against files, reading every file (changed, missing, out-of-order migrations);
 *  2. the schema: a scratch database on the same server is built from the files up to the
 *     target's newest applied version, both are dumped with `pg_dump --schema-only`, and the
 *     dumps are compared object by object (tables, constraints, indexes, functions, ...).
 * The scratch database is always dropped. The role needs CREATEDB (or pass `scratchConnection`).
 */
import { randomBytes } from "node:crypto";
import type { Client } from "pg";
import { currentOperator } from "../env/environment";
import { runPgDump } from "./backup";
import { guardTarget } from "./guard";
import { HISTORY_SCHEMA } from "./history";
import { onInterrupt } from "./interrupt";
import { type Connection, describeConnection, withClient } from "./pg";
import { migrate } from "./runner";
import { type ConnectionOptions, resolveSettings } from "./settings";
import { checkPending, readState } from "./status";

export interface ValidateOptions extends ConnectionOptions {
  /** Where to create the scratch database. Default: the target's server and credentials. */
  readonly scratchConnection?: Connection;
  /** The pg_dump program. Default "pg_dump". */
  readonly pgDump?: string;
}

/** One difference between the live database and the files. */
export interface Drift {
  /**
   * history: a bookkeeping problem; file: a pending file migrate would refuse (unreadable, malformed, a
   * refused statement); missing: the files create it, live lacks it; extra: live only; changed: both, different.
   */
  readonly kind: "history" | "file" | "missing" | "extra" | "changed";
  /** "TABLE public.markets", "INDEX public.trades_market_id_idx", or the file for history problems. */
  readonly object: string;
  readonly detail: string;
}

export interface ValidateResult {
  readonly environment: string;
  readonly target: string;
  readonly drift: readonly Drift[];
  readonly ok: boolean;
}

export async function validateDatabase(o: ValidateOptions): Promise<ValidateResult> {
  const s = resolveSettings(
    { ...o, applicationName: o.applicationName ?? "precog-db validate", backup: false, allowOutOfOrder: false },
    currentOperator,
    false,
  );
  guardTarget(s, "validate the schema");
  const target = describeConnection(o.connection);
  const { state } = await readState(s, false);
  const drift: Drift[] = state.problems.map((p) => ({ kind: "history", object: p.file, detail: p.message }));
  const pending = await checkPending(state.pending);
  drift.push(...pending.problems.map((p): Drift => ({ kind: "file", object: p.file, detail: p.message })));
  // Building the scratch schema reads every file: with one that cannot be parsed, there is none to compare.
  if (pending.files.length < state.pending.length) {
    const last = drift.pop() as Drift;
    drift.push({ ...last, detail: `${last.detail} (the schema is compared once every file parses)` });
    return { environment: o.environment, target, drift, ok: false };
  }
  const newest = state.newest?.version;

  const scratchName = `precog_validate_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
  const admin = o.scratchConnection ?? o.connection;
  const dropScratch = () =>
    withClient(admin, "precog-db validate", (c) => c.query(`DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`));
  // Before it exists: a signal between its creation and the handler would leave it behind.
  const stopSignals = dropOnSignal(scratchName, dropScratch);
  try {
    await withClient(admin, "precog-db validate", async (c) => {
      await dropLeftovers(c);
      try {
        await c.query(`CREATE DATABASE ${scratchName}`);
      } catch (cause) {
        throw new Error(
          `validate cannot create its scratch database on ${describeConnection(admin)}: ${(cause as Error).message}. Give the role CREATEDB or pass a scratch connection (--scratch-url).`,
          { cause },
        );
      }
    });
    const scratch = withDatabase(admin, scratchName);
    if (newest !== undefined) {
      await migrate({
        connection: scratch,
        dir: o.dir,
        environment: "dev",
        backup: false,
        lint: false,
        checksumCache: false,
        targetVersion: newest,
        allowOutOfOrder: true,
        operator: "precog-db validate",
      });
    }
    const args = ["--schema-only", "--no-owner", "--no-privileges", "--no-comments"];
    const [expected, live] = await Promise.all([
      runPgDump(o.pgDump ?? "pg_dump", scratch, args),
      runPgDump(o.pgDump ?? "pg_dump", o.connection, args),
    ]);
    drift.push(...compareDumps(withoutEngineFunctions(splitDump(expected)), withoutEngineFunctions(splitDump(live))));
  } finally {
    stopSignals();
    await dropScratch().catch(() => undefined);
  }
  return { environment: o.environment, target, drift, ok: drift.length === 0 };
}

/** How old another run's scratch database must be to count as left behind (a run never takes this long). */
const LEFTOVER_AGE_SECONDS = 3600;

/**
 * Drops the scratch databases of earlier runs that could not (SIGKILL, a lost host): those nobody is
 * connected to whose name says they were created over LEFTOVER_AGE_SECONDS ago, or that have the
 * older name without a time (`precog_validate_<hex>`); another run's live one is never touched. Best effort: one owned by another role stays.
 */
async function dropLeftovers(c: Client): Promise<void> {
  const r = await c.query<{ datname: string; in_use: boolean }>(
    `SELECT datname, EXISTS (SELECT FROM pg_stat_activity a WHERE a.datname = d.datname) AS in_use
       FROM pg_database d WHERE datname ~ '^precog_validate_([0-9]+_)?[0-9a-f]{8}$'`,
  );
  const now = Date.now() / 1000;
  for (const { datname, in_use } of r.rows) {
    const created = /^precog_validate_([0-9]+)_/.exec(datname)?.[1];
    const left = !in_use && (created === undefined || now - Number(created) > LEFTOVER_AGE_SECONDS);
    if (left) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
}

/** While the scratch database exists, an interrupting signal drops it first (./interrupt.ts). Returns the un-install. */
function dropOnSignal(name: string, drop: () => Promise<unknown>): () => void {
  return onInterrupt((signal) =>
    drop().then(
      () =>
        process.stderr.write(`precog-db: validate interrupted by ${signal}: dropped its scratch database ${name}.\n`),
      (err: Error) =>
        process.stderr.write(
          `precog-db: validate interrupted by ${signal}: could not drop its scratch database ${name} (${err.message}); drop it by hand.\n`,
        ),
    ),
  );
}

/** The same connection, another database. */
export function withDatabase(c: Connection, database: string): Connection {
  if (typeof c !== "string") return { ...c, database };
  const u = new URL(c);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The objects without the engine's own functions in the history schema (history.ts
 * RECORD_FUNCTION): a database an earlier precog-db migrated has none, and they are not the schema
 * the files build.
 */
function withoutEngineFunctions(objects: Map<string, string>): Map<string, string> {
  return new Map([...objects].filter(([key]) => !key.startsWith(`FUNCTION ${HISTORY_SCHEMA}.`)));
}

/** Splits a plain pg_dump into `TYPE schema.name` -> normalized SQL. */
export function splitDump(dump: string): Map<string, string> {
  const objects = new Map<string, string>();
  const header = /^-- Name: (.+?); Type: (.+?); Schema: (.+?); Owner: .*$/gm;
  const marks = [...dump.matchAll(header)];
  marks.forEach((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].index : dump.length;
    const body = dump
      .slice(m.index + m[0].length, end)
      .split("\n")
      // \restrict / \unrestrict carry a random key per dump (pg_dump 15.14 and later).
      .filter(
        (l) =>
          l.trim() !== "" && l.trim() !== "--" && !/^(SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(l),
      )
      .join("\n")
      .trim();
    const schema = m[3] === "-" ? "" : `${m[3]}.`;
    objects.set(`${m[2]} ${schema}${m[1]}`, body);
  });
  return objects;
}

/** Differences between the objects the files produce and the live ones. */
export function compareDumps(expected: Map<string, string>, live: Map<string, string>): Drift[] {
  const drift: Drift[] = [];
  for (const [key, sql] of expected) {
    const got = live.get(key);
    if (got === undefined)
      drift.push({
        kind: "missing",
        object: key,
        detail: `the migrations create ${key}; the live database does not have it`,
      });
    else if (got !== sql) drift.push({ kind: "changed", object: key, detail: lineDiff(sql, got) });
  }
  for (const key of live.keys()) {
    if (!expected.has(key))
      drift.push({
        kind: "extra",
        object: key,
        detail: `${key} exists in the live database but no migration creates it`,
      });
  }
  return drift;
}

function lineDiff(expected: string, live: string): string {
  const a = expected.split("\n");
  const b = live.split("\n");
  const out = [
    ...a.filter((l) => !b.includes(l)).map((l) => `- ${l.trim()}`),
    ...b.filter((l) => !a.includes(l)).map((l) => `+ ${l.trim()}`),
  ];
  return `differs (- from the migrations, + live):\n    ${out.join("\n    ")}`;
}
