/**
 * Files against history: what is applied, what is pending, and what is wrong (a changed or
 * missing applied file, a new file older than the newest applied one). Pure: the caller supplies
 * checksums, so `migrate` can use the stat cache and `validate` can read every file.
 */
import type { MigrationRef } from "./files";
import type { HistoryRow } from "./history";

export interface Reconciled {
  /** Files with no history row, in version order. */
  readonly pending: readonly MigrationRef[];
  /** Files with a history row. */
  readonly applied: readonly MigrationRef[];
  /** Each problem as a full sentence naming the file; empty when all is well. */
  readonly problems: readonly string[];
  /** The newest applied version, or undefined on an empty database. */
  readonly newest?: HistoryRow;
}

export interface ReconcileInput {
  readonly refs: readonly MigrationRef[];
  readonly history: readonly HistoryRow[];
  /** The up section's checksum for an applied file. */
  readonly checksumOf: (ref: MigrationRef) => string;
  readonly dir: string;
  readonly environment: string;
  readonly allowOutOfOrder: boolean;
}

export function reconcile(input: ReconcileInput): Reconciled {
  const { refs, history, dir, environment } = input;
  const byOrder = new Map<bigint, MigrationRef>();
  for (const r of refs) byOrder.set(r.order, r);
  const problems: string[] = [];
  const appliedOrders = new Set<bigint>();
  const applied: MigrationRef[] = [];
  for (const row of history) {
    const order = BigInt(row.version);
    appliedOrders.add(order);
    const ref = byOrder.get(order);
    if (!ref) {
      problems.push(
        `Migration ${row.version}_${row.name} was applied on ${environment} (by ${row.appliedBy}, ${row.appliedAt}) ` +
          `but has no file in ${dir}: restore the file (from git) rather than deleting applied migrations.`,
      );
      continue;
    }
    applied.push(ref);
    if (ref.name !== row.name) {
      problems.push(
        `${ref.filename} has version ${row.version}, which was applied on ${environment} as "${row.name}": ` +
          `an applied migration was renamed; restore its name ${row.version}_${row.name}.sql.`,
      );
      continue;
    }
    const checksum = input.checksumOf(ref);
    if (checksum !== row.checksum) {
      problems.push(
        `${ref.filename} changed after it was applied on ${environment} (its up section's sha256 was ` +
          `${row.checksum.slice(0, 12)}…, the file now gives ${checksum.slice(0, 12)}…): restore the applied ` +
          `content and put the change in a new migration (precog-db new <name>).`,
      );
    }
  }
  const newest = history.length > 0 ? history[history.length - 1] : undefined;
  const pending = refs.filter((r) => !appliedOrders.has(r.order));
  if (newest && !input.allowOutOfOrder) {
    const newestOrder = BigInt(newest.version);
    for (const r of pending) {
      if (r.order < newestOrder) {
        problems.push(
          `${r.filename} is older than the newest applied migration ${newest.version}_${newest.name}: ` +
            `give it a version after ${newest.version} (precog-db new <name> picks one), or pass --allow-out-of-order ` +
            `if it really must run after newer ones.`,
        );
      }
    }
  }
  return { pending, applied, problems, newest };
}

/** Throws one error listing every problem, or returns. */
export function assertNoProblems(problems: readonly string[], what: string): void {
  if (problems.length === 0) return;
  throw new Error(`${what}:\n  - ${problems.join("\n  - ")}`);
}
