/**
 * Timeouts as PostgreSQL reads them, checked before anything connects: `lock_timeout` and
 * `statement_timeout` (on a file's `-- migrate:up` line and as run settings) and the lock wait
 * are int GUCs in milliseconds, so a value PostgreSQL would refuse, or read as something else,
 * is refused here with what to write instead, rather than failing at apply time in whichever
 * migration runs first.
 *
 * PostgreSQL (guc.c, parse_int): the number goes through strtol with base 0, so a leading zero
 * makes it octal (`010s` is 8 s, `09s` an error); the unit converts it to ms in floating point,
 * then it is rounded half to even (rint) and must fit an int; a non-zero value that rounds to 0
 * (`100us`) becomes 0, which means no limit.
 */

/** The largest timeout PostgreSQL takes, in ms (INT_MAX: about 24.8 days). */
export const MAX_TIMEOUT_MS = 2147483647;

const SYNTAX = /^(\d+)(us|ms|s|min|h|d)?$/;
const MS_PER: Readonly<Record<string, number>> = {
  us: 1 / 1000,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * What is wrong with `value` as a timeout, as a phrase to follow the value in a message
 * ("is out of range: ..."), or undefined when PostgreSQL takes it as written.
 */
export function durationProblem(value: string): string | undefined {
  const m = SYNTAX.exec(value);
  if (!m) return "is not a duration such as 500ms, 5s, 15min or 0 (a whole number, then us, ms, s, min, h or d)";
  const [, digits, unit = "ms"] = m;
  if (digits.length > 1 && digits.startsWith("0"))
    return `has a leading zero, which PostgreSQL reads as octal (010s is 8s, 09s an error): write ${digits.replace(/^0+(?=\d)/, "")}${m[2] ?? ""}`;
  const ms = roundHalfEven(Number(digits) * MS_PER[unit]);
  if (ms > MAX_TIMEOUT_MS)
    return `is out of range: PostgreSQL takes at most ${MAX_TIMEOUT_MS}ms (about 24 days); 0 means no limit`;
  if (ms === 0 && Number(digits) !== 0)
    return "rounds to 0 ms, which PostgreSQL takes as no limit: write 0 for no limit, or at least 1ms";
  return undefined;
}

/** What is wrong with `ms` as the time to wait for the migration lock, or undefined. */
export function lockWaitProblem(ms: number): string | undefined {
  if (!(Number.isFinite(ms) && ms >= 0)) return "is not a number of milliseconds >= 0";
  if (Math.floor(ms) > MAX_TIMEOUT_MS)
    return `is out of range: at most ${MAX_TIMEOUT_MS} ms (PostgreSQL's lock_timeout, about 24 days)`;
  return undefined;
}

/** C's rint in its default mode: to the nearest integer, halves to the even one. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
