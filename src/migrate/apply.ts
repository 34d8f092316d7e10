/**
 * Running migration SQL: transactional units batched into one round trip (each unit still its own
 * BEGIN ... COMMIT, with its history row written inside it), and non-transactional units run
 * statement by statement. Each returns what ran and, on failure, a MigrationError saying which
 * unit and statement failed and what was left behind.
 */
import type { Client } from "pg";
import { isolationOf, type MigrationFile, type Section } from "./files";
import { HISTORY_TABLE, RECORDED_DURATION } from "./history";
import { type StatementSpan, splitStatements } from "./parser";
import { CONNECTION_CHECK_INTERVAL, LOCK_STILL_HELD, lockReleased, setRoleSql } from "./pg";
import { codePointToIndex, runBatch } from "./pg-batch";
import { connectionLost, describeFailure, isConnectionLoss } from "./sql-error";

/** One section to run plus the history change that records it. */
export interface Unit {
  readonly file: MigrationFile;
  readonly which: "up" | "down";
  readonly section: Section;
  /**
   * Up: the call that checks the migration lock and records the migration (history.ts recordSql);
   * down: the DELETE of its history row. For non-transactional units a function of the duration.
   */
  readonly bookkeeping: (durationMs?: number) => string;
}

export interface Timeouts {
  readonly lockTimeout: string;
  readonly statementTimeout: string;
  /** The role each unit acts as (SET ROLE after the clean session); undefined: the login's own. */
  readonly ownerRole?: string;
}

/** What ran, in order, with the duration the history table recorded. */
export interface UnitDone {
  readonly file: MigrationFile;
  /** NaN when it could not be read back after a failure. */
  readonly durationMs: number;
}

/** The units that ran and were recorded, in order, and the failure that stopped the rest, if any. */
export interface Applied {
  readonly done: readonly UnitDone[];
  readonly failure?: Error;
}

/**
 * What a migration may leave in the session, undone before the next one starts, so the same files
 * build the same schema however many run together: settings (`SET` without LOCAL), the role and
 * session user, temporary tables, prepared statements, held cursors, LISTEN, sequence state. Each
 * runs inside a transaction too (so batched units need no extra round trip). Advisory locks, the
 * migration lock among them, are kept (DISCARD ALL would release them).
 */
export const CLEAN_SESSION = [
  "RESET ALL",
  // The lexical rule every check before the run assumed (refused-statements.ts, the parser): a
  // database or role default of off would let a string hide a COMMIT from them.
  "SET standard_conforming_strings = on",
  "SET SESSION AUTHORIZATION DEFAULT",
  "DISCARD TEMP",
  "DISCARD SEQUENCES",
  "DEALLOCATE ALL",
  "CLOSE ALL",
  "UNLISTEN *",
];

/**
 * The clean session, then the owner role again when there is one: the reset (SET SESSION
 * AUTHORIZATION DEFAULT) dropped the role the runner set, as it drops any a migration set.
 */
function sessionStart(t: Timeouts): string[] {
  return t.ownerRole ? [...CLEAN_SESSION, setRoleSql(t.ownerRole)] : CLEAN_SESSION;
}

/** One statement of what closes a unit after its own: what it does, for a failure's report, and why it would fail. */
interface Step {
  readonly sql: string;
  readonly does: string;
  readonly why: string;
}

const LEFT_IN = "look for what the file leaves its transaction in";

/**
 * What closes a unit, in its transaction, after its own statements: the owner role again (the
 * history row is written as the owner role too, whatever role the migration left the session in),
 * and the history change, which checks first that the session still holds the migration lock (an
 * up unit's call does both; a down unit runs the check, then its DELETE). `failed`: the error, so
 * that the call's step says which of its two parts failed.
 */
function closingSteps(u: Unit, t: Timeouts, durationMs?: number, failed?: unknown): Step[] {
  const lock: Step = {
    sql: LOCK_STILL_HELD,
    does: "checking that the session still holds the migration lock",
    why: "the server's message says why",
  };
  const row = u.which === "up" ? "writing its history row to" : "deleting its history row from";
  const history: Step = {
    sql: u.bookkeeping(durationMs),
    does: `${row} ${HISTORY_TABLE}`,
    why: `${LEFT_IN} (transaction_read_only set on, a lock, trigger or rule on ${HISTORY_TABLE})`,
  };
  const owner: Step[] = t.ownerRole
    ? [
        {
          sql: setRoleSql(t.ownerRole),
          does: `taking the owner role ${t.ownerRole} again`,
          why: `${LEFT_IN} (SET LOCAL SESSION AUTHORIZATION, SET LOCAL ROLE)`,
        },
      ]
    : [];
  if (u.which === "down") return [lock, ...owner, history];
  return [...owner, lockReleased(failed) ? { ...lock, sql: history.sql } : history];
}

/** The closing statements as text, each ending in `;\n`. */
function closingSql(u: Unit, t: Timeouts, durationMs?: number): string {
  return closingSteps(u, t, durationMs)
    .map((step) => `${step.sql};\n`)
    .join("");
}

/**
 * A unit's session settings: a clean session as the owner role, then the unit's timeouts (LOCAL
 * inside its transaction) as plain SETs, which the server runs without planning, then what takes
 * an expression or must last the session: the runner's connection check (RESET ALL undid it) and
 * the unit's start. `settingsStatements` counts them.
 */
function settingsSql(section: Section, t: Timeouts, local: boolean): string {
  const lock = section.options.lockTimeout ?? t.lockTimeout;
  const stmt = section.options.statementTimeout ?? t.statementTimeout;
  const set = local ? "SET LOCAL" : "SET";
  // Both values passed durationProblem() (digits and a unit), so inlining them is safe.
  // precog.started: now() is the same for every transaction of one multi-statement message, so
  // each unit notes its own start for the duration its history row records.
  return (
    `${sessionStart(t).join(";\n")};\n` +
    `${set} lock_timeout = '${lock}';\n${set} statement_timeout = '${stmt}';\n` +
    `SELECT set_config('client_connection_check_interval', '${CONNECTION_CHECK_INTERVAL}', false), ` +
    `set_config('precog.started', clock_timestamp()::text, ${local})`
  );
}

/** How many statements `settingsSql` sends. */
function settingsStatements(t: Timeouts): number {
  return sessionStart(t).length + 3;
}

/**
 * BEGIN, at the section's isolation level when its line asks for one or its first statement sets
 * one (isolationOf): the level is chosen before any statement of the transaction runs.
 */
function begin(section: Section): string {
  // The level is one of files.ts's Isolation values, never free text.
  const level = isolationOf(section);
  return level ? `BEGIN ISOLATION LEVEL ${level.toUpperCase()}` : "BEGIN";
}

/**
 * Runs transactional units in one round trip. Each is `BEGIN [ISOLATION LEVEL ...]; settings; SQL; bookkeeping; COMMIT`;
 * the server stops at the first error, so units before it stay committed and the failing one
 * rolls back whole. `doneBefore` counts the units of the same run that completed in earlier
 * round trips, for the failure's report. `then`: the section that runs next, outside a
 * transaction: its session settings close the message, after the last COMMIT, which saves that
 * unit a round trip (`runOutsideTransaction` with `settingsSent`).
 */
export async function runTransactional(
  client: Client,
  units: readonly Unit[],
  t: Timeouts,
  doneBefore = 0,
  then?: Section,
): Promise<Applied> {
  let text = "";
  const starts: number[] = [];
  for (const u of units) {
    text += `${begin(u.section)};\n${settingsSql(u.section, t, true)};\n`;
    starts.push(text.length);
    // The newline ends a trailing `--` comment; the `;` ends a statement missing its semicolon.
    text += `${u.section.sql}\n;\n${closingSql(u, t)}COMMIT;\n`;
  }
  if (then) text += `${settingsSql(then, t, false)};\n`;
  const { completed, captured, failure } = await runBatch(client, text, RECORDED_DURATION);
  if (!failure) return { done: units.map((u, i) => ({ file: u.file, durationMs: Number(captured[i] ?? 0) })) };

  await client.query("ROLLBACK").catch(() => undefined);
  // Units are committed in order, and each COMMIT completes with the tag "COMMIT".
  const committed = completed.filter((tag) => tag === "COMMIT").length;
  const { error: cause, at } = failure;
  // Nothing completed, not even the first BEGIN, and no position: the server refused the whole
  // message while parsing it (WITH TIES without ORDER BY is one such error), so none of it ran and
  // the error may be any unit's. Each unit alone finds which, the ones before it applied.
  if (completed.length === 0 && at === undefined && units.length > 1 && !isConnectionLoss(cause) && !stopped(cause))
    return oneByOne(client, units, t, doneBefore, then);
  let failedIndex = committed;
  if (at !== undefined) {
    let seg = 0;
    while (seg + 1 < starts.length && starts[seg + 1] <= at) seg++;
    // The server parses the whole message before running any of it: a syntax error in a later
    // unit means none ran. The earlier units are fine, so run them now.
    if (seg > committed) failedIndex = seg;
  }
  const done = [...(await recordedDurations(client, units.slice(0, committed)))];
  const failed = units[failedIndex];
  if (isConnectionLoss(cause)) {
    const lost = failed ?? units[units.length - 1];
    const before = doneBefore + done.length;
    const outcome =
      `What was ${lost.which === "up" ? "applied" : "rolled back"} is recorded: each migration commits together with its history row in ${HISTORY_TABLE}, so the table holds exactly what was done` +
      ` (${before} migration(s) of this run confirmed before the connection was lost; ${failed ? `${lost.file.filename} and the ones after it were not, unless the server committed one before it went away` : "the server may have committed the last ones before it went away"}).`;
    return { done, failure: connectionLost(cause, { file: lost.file, which: lost.which, outcome }) };
  }
  if (!failed) return { done, failure: cause };
  if (failedIndex > committed) {
    const earlier = await runTransactional(client, units.slice(committed, failedIndex), t, doneBefore + done.length);
    done.push(...earlier.done);
    if (earlier.failure) return { done, failure: earlier.failure };
  }
  const tagsAfter = completed.length - (completed.lastIndexOf("COMMIT") + 1);
  let offset: number | undefined;
  if (at !== undefined) {
    const idx = at - starts[failedIndex];
    if (idx >= 0 && idx <= failed.section.sql.length) offset = idx;
  }
  // Tags after the last COMMIT: BEGIN, the settings, then the unit's own statements.
  const statementIndex = failedIndex === committed ? Math.max(0, tagsAfter - 1 - settingsStatements(t)) : undefined;
  const error = await describeFailure(cause, {
    afterStatements:
      statementIndex !== undefined && offset === undefined
        ? await afterStatements(failed, statementIndex, t, cause)
        : undefined,
    file: failed.file,
    section: failed.section,
    which: failed.which,
    offset,
    statementIndex,
    outcome: rolledBackOutcome(failed, doneBefore + done.length),
    next: `fix ${failed.file.filename} and run the command again.`,
  });
  return { done, failure: error };
}

/** Runs `units` a round trip each, stopping at the first failure (`then` as `runTransactional`'s, after the last). */
async function oneByOne(
  client: Client,
  units: readonly Unit[],
  t: Timeouts,
  doneBefore: number,
  then?: Section,
): Promise<Applied> {
  const done: Applied["done"][number][] = [];
  for (const [i, unit] of units.entries()) {
    const one = await runTransactional(
      client,
      [unit],
      t,
      doneBefore + done.length,
      i === units.length - 1 ? then : undefined,
    );
    done.push(...one.done);
    if (one.failure) return { done, failure: one.failure };
  }
  return { done };
}

/** Whether `cause` is the server cancelling a statement (a stop's cancel, a statement timeout). */
function stopped(cause: unknown): boolean {
  return (cause as { code?: string }).code === "57014";
}

/**
 * When the `index`th statement to fail is past the unit's own (each unit is its statements, then
 * its closing steps, then COMMIT): which of the runner's steps failed, and what that means;
 * undefined when a statement of the file failed.
 */
async function afterStatements(u: Unit, index: number, t: Timeouts, cause: unknown): Promise<string | undefined> {
  const own = await splitStatements(u.section.sql).catch(() => undefined);
  if (own === undefined || index < own.length) return undefined;
  const steps: Omit<Step, "sql">[] = [
    ...closingSteps(u, t, undefined, cause),
    { does: "committing", why: "a deferred constraint or constraint trigger the file set up failed at COMMIT" },
  ];
  const { does, why } = steps[Math.min(index - own.length, steps.length - 1)];
  return `after its ${own.length} statement(s) ran, ${does} failed in the same transaction, which rolled back with it: ${why}.`;
}

/** What a failed transactional unit left: nothing of its own, and the `before` units of the run before it. */
function rolledBackOutcome(u: Unit, before: number): string {
  return u.which === "up"
    ? `Rolled back: nothing from ${u.file.filename} was applied${before ? ` (the ${before} migration(s) before it were)` : ""}.`
    : `Rolled back: ${u.file.filename} is still applied${before ? ` (the ${before} migration(s) rolled back before it stay rolled back)` : ""}.`;
}

/** How a unit outside a transaction meets the messages before and after it. */
export interface Around {
  /** The message before it set up its session (runTransactional's or this function's `then`). */
  readonly settingsSent?: boolean;
  /** The section that runs next, outside a transaction: its settings close this unit's last message. */
  readonly then?: Section;
}

/**
 * Runs a unit outside a transaction (CREATE INDEX CONCURRENTLY cannot run inside one), one
 * statement per round trip, recording it only after the last statement succeeds. A failure
 * reports which statements ran and what they left behind.
 *
 * Round trips: the session's settings (unless the message before sent them); each statement,
 * each followed by the lock check; the last statement's lock check opens the closing message
 * instead: the check and the history row in a transaction of their own (a failed check writes no
 * row), then the timeouts reset, or the next unit's settings when it runs outside a transaction too.
 */
export async function runOutsideTransaction(
  client: Client,
  u: Unit,
  t: Timeouts,
  around: Around = {},
): Promise<Applied> {
  const statements = await splitStatements(u.section.sql);
  const started = performance.now();
  const last = statements.length - 1;
  let reset = false;
  if (!around.settingsSent) await client.query(settingsSql(u.section, t, false));
  try {
    for (let i = 0; i <= last; i++) {
      try {
        await client.query(statements[i].text);
        // Each statement commits on its own: one that released the lock is stopped at once.
        if (i < last) await client.query(LOCK_STILL_HELD);
      } catch (cause) {
        return { done: [], failure: await statementFailed(client, u, statements, i, cause) };
      }
    }
    const after = around.then ? settingsSql(around.then, t, false) : "RESET lock_timeout;\nRESET statement_timeout";
    const closing = await runBatch(
      client,
      `BEGIN;\n${closingSql(u, t, performance.now() - started)}COMMIT;\n${after}`,
      RECORDED_DURATION,
    );
    const done = { file: u.file, durationMs: Number(closing.captured[0] ?? 0) };
    if (closing.failure) {
      // Recorded: what failed is the next unit's settings, after the COMMIT.
      if (closing.completed.includes("COMMIT")) return { done: [done], failure: closing.failure.error };
      await client.query("ROLLBACK").catch(() => undefined);
      // The lock check failed: reported as the last statement's, which released the lock.
      if (lockReleased(closing.failure.error) && last >= 0)
        return { done: [], failure: await statementFailed(client, u, statements, last, closing.failure.error) };
      throw closing.failure.error;
    }
    reset = true;
    return { done: [done] };
  } finally {
    if (!reset) await client.query("RESET lock_timeout; RESET statement_timeout").catch(() => undefined);
  }
}

/** Statement `i` of a unit outside a transaction failed (or its lock check did): what ran, what remains, what to do. */
async function statementFailed(
  client: Client,
  u: Unit,
  statements: readonly StatementSpan[],
  i: number,
  cause: unknown,
): Promise<Error> {
  if (isConnectionLoss(cause)) {
    const outcome =
      `Not in a transaction: ${i > 0 ? `statements 1-${i} of ${statements.length} ran and their effects remain, ` : ""}statement ${i + 1} of ${statements.length} was running and may have completed; ` +
      `${u.file.filename} is not recorded in ${HISTORY_TABLE}, so the next run runs the whole file again.`;
    const before =
      "make sure its statements are safe to repeat (IF NOT EXISTS / IF EXISTS; drop any invalid index a CREATE INDEX CONCURRENTLY left)";
    return connectionLost(cause, { file: u.file, which: u.which, outcome, before });
  }
  const position = (cause as { position?: string }).position;
  const offset =
    position !== undefined
      ? statements[i].start + codePointToIndex(statements[i].text, Number(position) - 1)
      : undefined;
  const leftovers = await invalidIndexes(client);
  return describeFailure(cause, {
    file: u.file,
    section: u.section,
    which: u.which,
    offset,
    statementIndex: i,
    outcome:
      `Not in a transaction, so not rolled back: statement ${i + 1} of ${statements.length} failed` +
      (i > 0 ? `; statements 1-${i} ran and their effects remain` : "; none before it ran") +
      `. ${u.file.filename} is not recorded in ${HISTORY_TABLE}.` +
      (leftovers.length ? ` Left behind: invalid index(es) ${leftovers.join(", ")}.` : ""),
    next:
      (leftovers.length
        ? `drop the invalid index(es) (DROP INDEX CONCURRENTLY IF EXISTS ${leftovers.join(", ")}), `
        : "") +
      `fix the file (make its statements safe to repeat: IF NOT EXISTS / IF EXISTS), then run the command again; it reruns the whole file.`,
  });
}

/**
 * Units that committed before a later one in the same round trip failed: pg drops the results of a
 * message that errors, so their durations are read back from the history rows they committed.
 * NaN (printed as "duration unknown") if even that fails: the original error matters more.
 */
async function recordedDurations(client: Client, units: readonly Unit[]): Promise<UnitDone[]> {
  if (units.length === 0) return [];
  const versions = units.map((u) => u.file.order.toString());
  const r = await client
    .query(`SELECT version::text AS version, duration_ms FROM ${HISTORY_TABLE} WHERE version = ANY($1::bigint[])`, [
      versions,
    ])
    .catch(() => ({ rows: [] as { version: string; duration_ms: number }[] }));
  const ms = new Map(r.rows.map((row) => [row.version as string, Number(row.duration_ms)]));
  return units.map((u, i) => ({ file: u.file, durationMs: ms.get(versions[i]) ?? Number.NaN }));
}

/** Indexes a failed or killed CREATE INDEX CONCURRENTLY leaves behind. */
async function invalidIndexes(client: Client): Promise<string[]> {
  const r = await client
    .query(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid ORDER BY 1`,
    )
    .catch(() => ({ rows: [] as { name: string }[] }));
  return r.rows.map((row) => row.name);
}
