/**
 * The stack-order gate: dev -> test -> staging -> prod, never skipped. A stack may apply a
 * migration only once the stack before it has applied the same version with the same checksum.
 * Pure: the Pulumi component and the command line each bring what the predecessor has applied, as
 * its ledger summary settles it (./ledger-summary.ts `predecessorView`).
 */
import { checksumThere, type PredecessorView, unsettledThere } from "./ledger-summary";

/** An applied migration as the history table records it. */
export interface LedgerEntry {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: string;
  readonly appliedBy: string;
}

export interface GateInput {
  readonly stack: string;
  /** The files this stack would apply: not in its own ledger. */
  readonly pending: readonly { readonly version: string; readonly name: string; readonly checksum: string }[];
  readonly predecessor: string;
  /** What the predecessor has applied of this stack's files. */
  readonly predecessorApplied: PredecessorView;
}

/** One line per pending migration the predecessor has not applied as it is here; empty: allowed. */
export function stackOrderProblems(g: GateInput): string[] {
  return g.pending.flatMap((m) => {
    const there = checksumThere(g.predecessorApplied, m);
    if (there === m.checksum) return [];
    const label = `${m.version}_${m.name}.sql (checksum ${m.checksum.slice(0, 12)})`;
    if (unsettledThere(g.predecessorApplied, m)) {
      const p = g.predecessor;
      return [
        `${label}: stack "${p}"'s ledger summary does not say whether it applied this one: before version ` +
          `${g.predecessorApplied.unsettledBefore}, the newest 100 it lists, its applied files are not these files ` +
          `(it applied one they lack or another content, or lacks one they have; or it is more than 100 migrations ahead of them). ` +
          `If "${p}" was deployed from a newer checkout, update this one; else compare \`PRECOG_ENV=${p} npx precog-db status\` with migrations/`,
      ];
    }
    return there === undefined
      ? [
          `${label}: stack "${g.predecessor}" has not applied it; stack "${g.stack}" lacks it until "${g.predecessor}" does`,
        ]
      : [
          `${label}: stack "${g.predecessor}" applied version ${m.version} with checksum ${there.slice(0, 12)}; the file changed since`,
        ];
  });
}

/** The error for a refused gate, naming every migration and what to do. */
export function stackOrderError(g: GateInput, problems: readonly string[]): Error {
  return new Error(
    `Refusing to apply migrations on stack "${g.stack}": the stack before it, "${g.predecessor}", must apply each first ` +
      `(dev -> test -> staging -> prod):\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
      `Deploy "${g.predecessor}" first (pulumi up --stack ${g.predecessor}), then this stack.`,
  );
}
