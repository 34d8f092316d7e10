/**
 * Read-only views: `readHistory` (the applied versions and checksums, one query: what promotion
 * between stacks compares, as `allowed`), `status` (every file against history, reading every file so
 * any change is found) and `plan` (what `migrate` would apply, with lint findings).
 */
import { currentOperator, type Environment } from "../env/environment";
import { ChecksumCache } from "./checksum-cache";
import { listMigrations, type MigrationFile, type MigrationRef } from "./files";
import { guardTarget } from "./guard";
import { type AppliedRow, type HistoryRow, readHistoryRows, toHistoryRow } from "./history";
import type { LintFinding } from "./lint";
import { type Connection, describeConnection, withClient } from "./pg";
import { allowedProblems, type Problem, pendingUpTo, type Reconciled, readPending, reconcile } from "./reconcile";
import { refusedStatementProblems } from "./refused-statements";
import { type ConnectionOptions, type MigrateOptions, resolveSettings, type Settings } from "./settings";

export interface ReadHistoryOptions {
  readonly connection: Connection;
  /** The environment the database belongs to: checked against its name, and prod needs confirmation. */
  readonly environment: Environment;
  readonly applicationName?: string;
  /** Set by callers that checked PRECOG_PROD_CONFIRMED themselves. */
  readonly prodConfirmed?: boolean;
}

/** The applied history, oldest first; empty when nothing was ever applied. No lock, one query. */
export async function readHistory(options: ReadHistoryOptions): Promise<HistoryRow[]> {
  guardTarget(options, "read migration history");
  const rows = await withClient(options.connection, options.applicationName ?? "precog-db", readHistoryRows);
  return rows.map(toHistoryRow);
}

/**
 * Files and history, reconciled. `cache` is where applied files' checksums come from: false reads
 * every file (status, validate), otherwise the stat cache as `migrate` uses it.
 */
export async function readState(
  s: Settings,
  cache: string | false | undefined,
): Promise<{ history: AppliedRow[]; refs: MigrationRef[]; state: Reconciled }> {
  const refs = listMigrations(s.dir);
  const history = await withClient(s.connection, s.applicationName, readHistoryRows);
  const checksums = ChecksumCache.open(s.dir, cache);
  const state = reconcile({
    refs,
    history,
    checksumOf: (r) => checksums.checksum(r).checksum,
    dir: s.dir,
    environment: s.environment,
    allowOutOfOrder: s.allowOutOfOrder,
  });
  checksums.save();
  return { history, refs, state };
}

/**
 * Reads pending files and checks them as `migrate` would before running them: a file that cannot
 * be read or parsed, or that holds a statement no migration may hold (refused-statements.ts), is a
 * problem naming it and what is wrong.
 */
export async function checkPending(
  refs: readonly MigrationRef[],
): Promise<{ files: readonly MigrationFile[]; problems: readonly Problem[] }> {
  const { files, problems } = readPending(refs);
  return { files, problems: [...problems, ...(await refusedStatementProblems(files, "up"))] };
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
  /** Changed, missing or out-of-order files, and pending files migrate would refuse; empty when all is well. */
  readonly problems: readonly string[];
}

/** Every migration with its state; checksums verified by reading every applied file. */
export async function status(
  options: ConnectionOptions & Pick<MigrateOptions, "allowOutOfOrder">,
): Promise<StatusResult> {
  const s = resolveSettings({ ...options, backup: false }, currentOperator, false);
  guardTarget(s, "read migration status");
  const { refs, history, state } = await readState(s, false);
  const padded = new Map(refs.map((r) => [r.order, r.version]));
  const entries: StatusEntry[] = history.map((h) => ({
    version: padded.get(h.order) ?? h.version,
    name: h.name,
    state: "applied",
    checksum: h.checksum,
    appliedAt: h.appliedAt,
    appliedBy: h.appliedBy,
    durationMs: h.durationMs,
  }));
  for (const r of state.pending) entries.push({ version: r.version, name: r.name, state: "pending" });
  const pending = await checkPending(state.pending);
  return {
    environment: s.environment,
    target: describeConnection(s.connection),
    entries,
    problems: [...state.problems, ...pending.problems].map((p) => p.message),
  };
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
  /** What the lint could not decide, or reads as an option (severity "note"): never a problem. */
  readonly notes: readonly LintFinding[];
  /** Problems that would stop `migrate`: changed files, lint errors, files outside `allowed`. */
  readonly problems: readonly string[];
}

/** What `migrate` with the same options would apply (up to `targetVersion`), linted, without applying or locking anything. */
export async function plan(options: MigrateOptions): Promise<PlanResult> {
  const s = resolveSettings(options, currentOperator, false);
  guardTarget(s, "plan migrations");
  const { state, refs } = await readState(s, s.checksumCache);
  const pending = await checkPending(pendingUpTo(state.pending, s.targetVersion));
  const files = pending.files;
  const { lintFiles, formatFindings, withEarlierFiles } = await import("./lint");
  // The pending files, judged against what the applied ones built; the refused statements are
  // among pending.problems already: the same check.
  const context = withEarlierFiles(refs, files);
  const report = await lintFiles(context.files, {
    environment: s.environment,
    lockTimeout: s.lockTimeout,
    refused: false,
    report: context.report,
  });
  const problems = [...state.problems, ...pending.problems, ...allowedProblems(files, s.allowed)].map((p) => p.message);
  const errors = report.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) problems.push(`lint errors:\n${formatFindings(errors)}`);
  return {
    environment: s.environment,
    target: describeConnection(s.connection),
    pending: files.map((f) => ({
      version: f.version,
      name: f.name,
      checksum: f.checksum,
      transactional: f.up.options.transaction,
    })),
    findings: report.findings,
    notes: report.notes,
    problems,
  };
}
