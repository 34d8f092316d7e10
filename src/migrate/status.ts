/**
 * Read-only views: `readHistory` (the applied versions and checksums, one query: what the Pulumi
 * component compares between stacks), `status` (every file against history, reading every file so
 * any change is found) and `plan` (what `migrate` would apply, with lint findings).
 */
import { currentOperator } from "../env/environment";
import { ChecksumCache } from "./checksum-cache";
import { listMigrations, readMigration, type MigrationRef } from "./files";
import { readHistoryRows, type HistoryRow } from "./history";
import { describeConnection, withClient, type Connection } from "./pg";
import { reconcile } from "./reconcile";
import { resolveSettings, type ConnectionOptions, type MigrateOptions } from "./settings";
import type { LintFinding } from "./lint";

/** The applied history, oldest first; empty when nothing was ever applied. No lock, one query. */
export async function readHistory(options: { readonly connection: Connection; readonly applicationName?: string }): Promise<HistoryRow[]> {
  return withClient(options.connection, options.applicationName ?? "precog-db", readHistoryRows);
}

export interface StatusEntry {
  readonly version: string;
  readonly name: string;
  readonly state: "applied" | "pending";
  readonly checksum?: string;
  readonly appliedAt?: string;
  readonly appliedBy?: string;
  readonly durationMs?: number;
}

export interface StatusResult {
  readonly environment: string;
  readonly target: string;
  readonly entries: readonly StatusEntry[];
  /** Changed, missing or out-of-order files; empty when all is well. */
  readonly problems: readonly string[];
}

/** Every migration with its state; checksums verified by reading every applied file. */
export async function status(options: ConnectionOptions & Pick<MigrateOptions, "allowOutOfOrder">): Promise<StatusResult> {
  const s = resolveSettings({ ...options, backup: false }, currentOperator, false);
  const refs = listMigrations(s.dir);
  const history = await withClient(s.connection, s.applicationName, readHistoryRows);
  const verify = ChecksumCache.open(s.dir, false);
  const state = reconcile({ refs, history, checksumOf: (r) => verify.checksum(r).checksum, dir: s.dir, environment: s.environment, allowOutOfOrder: s.allowOutOfOrder });
  const padded = new Map(refs.map((r) => [r.order, r.version]));
  const entries: StatusEntry[] = history.map((h) => ({ version: padded.get(BigInt(h.version)) ?? h.version, name: h.name, state: "applied", checksum: h.checksum, appliedAt: h.appliedAt, appliedBy: h.appliedBy, durationMs: h.durationMs }));
  for (const r of state.pending) entries.push({ version: r.version, name: r.name, state: "pending" });
  return { environment: s.environment, target: describeConnection(s.connection), entries, problems: state.problems };
}

export interface PlannedMigration {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly transactional: boolean;
}

export interface PlanResult {
  readonly environment: string;
  readonly target: string;
  readonly pending: readonly PlannedMigration[];
  readonly findings: readonly LintFinding[];
  /** Problems that would stop `migrate`: changed files, lint errors, files outside `allowed`. */
  readonly problems: readonly string[];
}

/** What `migrate` would apply, linted, without applying or locking anything. */
export async function plan(options: MigrateOptions): Promise<PlanResult> {
  const s = resolveSettings(options, currentOperator, false);
  const refs = listMigrations(s.dir);
  const history = await withClient(s.connection, s.applicationName, readHistoryRows);
  const cache = ChecksumCache.open(s.dir, s.checksumCache);
  const state = reconcile({ refs, history, checksumOf: (r: MigrationRef) => cache.checksum(r).checksum, dir: s.dir, environment: s.environment, allowOutOfOrder: s.allowOutOfOrder });
  const files = state.pending.map(readMigration);
  const { lintFiles, formatFindings } = await import("./lint");
  const report = await lintFiles(files, { environment: s.environment, lockTimeout: s.lockTimeout });
  const problems = [...state.problems];
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) problems.push(`lint errors:\n${formatFindings(errors)}`);
  if (s.allowed) {
    const allowed = new Map(s.allowed.map((a) => [BigInt(a.version), a.checksum]));
    for (const f of files) if (allowed.get(f.order) !== f.checksum) problems.push(`${f.filename} is not in the allowed set with this content.`);
  }
  return {
    environment: s.environment,
    target: describeConnection(s.connection),
    pending: files.map((f) => ({ version: f.version, name: f.name, checksum: f.checksum, transactional: f.up.options.transaction })),
    findings: report.findings,
    problems,
  };
}
