/**
 * What the provider checks about the pending migrations before anything is applied, in `pulumi
 * preview` and `pulumi up` alike (./server.ts: the diff of a recorded resource, the check
 * of a new one): the stack-order gate, each pending file applied by the stack before this one with
 * the same checksum (by the view the program took of the predecessor's ledger summary: a lookup per
 * pending file, whatever the ledgers' length); then the lint (./pending-lint.ts). Pending: the files not in the ledger this
 * resource recorded (its state), which follows the database even after a failed apply. A new
 * resource has no recorded ledger, so every file is pending to its check (its create applies only
 * what the database lacks).
 */
import type { Environment } from "../../../src/env/environment";
import { type AppliedRef, pendingOf, stackOrderError, stackOrderProblems } from "../../../src/migrate";
import { type MigrationsInputs, refOf, versionOf } from "../contract";
import type { ResourceLog } from "./engine-log";
import { lintPending } from "./pending-lint";

/** The files not in `ledger`, in version order (src/migrate `pendingOf`). */
export function pendingFiles(inputs: MigrationsInputs, ledger: readonly AppliedRef[]): string[] {
  return pendingOf(Object.keys(inputs.migrations), versionOf, ledger);
}

/**
 * Throws the gate's or the lint's refusal; logs what is pending and the lint's warnings. Returns
 * the pending files.
 */
export async function checkPending(
  stack: string,
  inputs: MigrationsInputs,
  ledger: readonly AppliedRef[],
  log: ResourceLog,
): Promise<string[]> {
  const pending = pendingFiles(inputs, ledger);
  if (pending.length === 0) return pending;
  if (inputs.predecessor !== null && inputs.predecessorApplied !== null) {
    const gate = {
      stack,
      pending: pending.map((f) => ({ ...refOf(f), checksum: inputs.migrations[f] })),
      predecessor: inputs.predecessor,
      predecessorApplied: inputs.predecessorApplied,
    };
    const problems = stackOrderProblems(gate);
    if (problems.length > 0) throw stackOrderError(gate, problems);
  }
  await lintPending({
    dir: inputs.dir,
    environment: inputs.environment as Environment,
    pending,
    log,
  });
  return pending;
}

/** The stack a resource's URN names ("urn:pulumi:<stack>::<project>::<type>::<name>"). */
export function stackOf(urn: string): string {
  return urn.slice("urn:pulumi:".length).split("::")[0];
}
