/**
 * What the provider checks about the pending migrations before anything is applied, in `pulumi
 * preview` and `pulumi up` alike (./server.ts: the diff of a recorded resource, the check
 * of a new one): the stack-order gate, each pending file applied by the stack before this one with
 * the same checksum (by the view the program took of the predecessor's ledger summary: a lookup per
 * pending file, whatever the ledgers' length); it names the pending files; and on staging and prod
 * the lint, whose refusal must come before the provider's RDS snapshot (./pending-lint.ts). On dev
 * and test, where the lint only warns, it lints in previews only (`previewPending`, from the
 * preview of a create or update: ./previews.ts), as `precog-db migrate` does not lint there either.
 * Pending: the files not in the ledger this resource recorded (its state's summary, settled against
 * the files, or where it does not settle, the history table: ./crud.ts), which follows the database
 * even after a failed apply. A new resource has no recorded ledger, so every file is
 * pending to its check (its create applies only what the database lacks).
 */
import { type Environment, PROTECTED_ENVIRONMENTS } from "../../../src/env/environment";
import { type AppliedRef, pendingOf, stackOrderError, stackOrderProblems } from "../../../src/migrate";
import { type MigrationsInputs, refOf, versionOf } from "../contract";
import type { ResourceLog } from "./engine-log";
import { lintPending } from "./pending-lint";

/** The files not in `ledger`, in version order (src/migrate `pendingOf`). */
export function pendingFiles(inputs: MigrationsInputs, ledger: readonly AppliedRef[]): string[] {
  return pendingOf(Object.keys(inputs.migrations), versionOf, ledger);
}

/** Whether the lint refuses findings on `environment` (staging, prod): then it runs before anything is applied, not only in previews. */
function lintRefuses(environment: string): boolean {
  return PROTECTED_ENVIRONMENTS.includes(environment as Environment);
}

/**
 * Throws the gate's refusal, or (staging, prod) the lint's; logs what is pending (and there the
 * lint's warnings). Returns the pending files.
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
  await log.info(`pending migrations: ${pending.join(", ")}`);
  if (lintRefuses(inputs.environment)) await lintPending(lintOf(inputs, pending, log));
  return pending;
}

/** In the preview of a create or update on dev and test: the lint's warnings on the pending files. */
export async function previewPending(
  inputs: MigrationsInputs,
  ledger: readonly AppliedRef[],
  log: ResourceLog,
): Promise<void> {
  if (lintRefuses(inputs.environment)) return;
  await lintPending(lintOf(inputs, pendingFiles(inputs, ledger), log));
}

function lintOf(inputs: MigrationsInputs, pending: readonly string[], log: ResourceLog) {
  return { dir: inputs.dir, environment: inputs.environment as Environment, pending, log };
}

/** The stack a resource's URN names ("urn:pulumi:<stack>::<project>::<type>::<name>"). */
export function stackOf(urn: string): string {
  return urn.slice("urn:pulumi:".length).split("::")[0];
}
