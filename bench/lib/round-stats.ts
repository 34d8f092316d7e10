/**
 * bench/lib/round-stats.ts: the estimates a bench run in rounds prints
 * (bench/pulumi/migrations-apply-slope.ts): a mean over the rounds with its standard error, and
 * against a target its 95% interval and what the interval shows (met, not met, not resolved), so
 * that a figure says whether its noise lets it answer.
 */

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** Standard error of the mean. */
export function se(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}
/** Student's t for a two-sided 95% interval with `df` degrees of freedom. */
function t95(df: number): number {
  const table = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13];
  return table[df - 1] ?? 1.96 + 2.4 / df;
}
/** Mean, its 95% interval, and what the interval says against `target` (a value that must not be exceeded). */
export function against(xs: readonly number[], target: number, unit: (x: number) => string): string {
  const m = mean(xs);
  const half = t95(xs.length - 1) * se(xs);
  const verdict =
    m + half <= target
      ? "target met"
      : m - half > target
        ? "target NOT met"
        : "not resolved: the interval holds the target";
  return `${unit(m)} (95% interval ${unit(m - half)} to ${unit(m + half)}; median ${unit(median(xs))}): ${verdict}`;
}
