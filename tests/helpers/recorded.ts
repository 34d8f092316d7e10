/** What a migration resource's state records, in any of its shapes, for the tests' expectations. */
import { recordedSummary } from "../../infra/migrations/contract";
import { appliedEntries } from "../../src/migrate";

/** The versions a state lists as applied, oldest first (its summary's newest hundred: every one in these tests). */
export function recordedVersions(state: unknown): string[] {
  return appliedEntries(recordedSummary((state ?? {}) as Parameters<typeof recordedSummary>[0]).recent).map(
    (e) => e.version,
  );
}
