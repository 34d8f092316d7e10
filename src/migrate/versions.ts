/**
 * Migration versions are numbers: "9" comes before "10", and "0003" is "3". The one home of that
 * rule: every sort, comparison, match and "newest" of versions in the project goes through here,
 * never through text order (which puts "10" before "9"); SQL reads the history through
 * ./history.ts `HISTORY_OLDEST_FIRST`.
 */

/** A version as the files, the history or a ledger give it: digits as text, or already a number. */
export type Version = string | bigint;

/** The version as a number. */
export function versionNumber(v: Version): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** The key two versions match on: "0010" and "10" are the same migration version. */
export function versionKey(v: Version): string {
  return versionNumber(v).toString();
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareVersions(a: Version, b: Version): number {
  const x = versionNumber(a);
  const y = versionNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A copy of `items`, oldest version first (each version read once: thousands of items sort in milliseconds). */
export function oldestFirst<T>(items: readonly T[], versionOf: (item: T) => Version): T[] {
  return items
    .map((item) => ({ item, n: versionNumber(versionOf(item)) }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .map((x) => x.item);
}

/** The item with the newest version, whatever order `items` are in; undefined for none. */
export function newestOf<T>(items: readonly T[], versionOf: (item: T) => Version): T | undefined {
  let newest: T | undefined;
  for (const item of items)
    if (newest === undefined || compareVersions(versionOf(item), versionOf(newest)) > 0) newest = item;
  return newest;
}

/**
 * What is pending: the items (files, in their order) whose version no entry of `applied` (history
 * rows, a recorded ledger) has. The one home of that rule, for the engine, the command's gate and
 * the provider plugin alike.
 */
export function pendingOf<T>(
  items: readonly T[],
  versionOf: (item: T) => Version,
  applied: Iterable<{ readonly version: Version }>,
): T[] {
  const done = new Set<string>();
  for (const a of applied) done.add(versionKey(a.version));
  return items.filter((item) => !done.has(versionKey(versionOf(item))));
}
