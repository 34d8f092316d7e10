/** What a migration resource's state records, in any of its shapes, for the tests' expectations. */
import { recordedSummary } from "../../infra/migrations/contract";
import { appliedEntries } from "../../src/migrate";

/** The versions a state lists as applied, oldest first; an error when it has applied more than its summary lists. */
export function recordedVersions(state: unknown): string[] {
  const summary = recordedSummary((state ?? {}) as Parameters<typeof recordedSummary>[0], "test");
  const listed = appliedEntries(summary.recent);
  if (listed.length !== summary.count)
    throw new Error(`the state records ${summary.count} applied, more than its summary lists: read the history table`);
  return listed.map((e) => e.version);
}
