/**
 * What each verb does: turns the parsed arguments into one engine call and prints its result.
 * Engine modules are required inside each, so `migrate` never loads the linter, validator or
 * pg_dump code it does not use. Which verb needs what is the table in verbs.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { MigrateOptions } from "../migrate/settings";
import type { Command, CommandContext } from "./context";
import { negotiateTarget } from "./negotiate";
import { UsageError } from "./options";
import { resolveTarget, type Target } from "./target";

/** The target of a verb that needs a database (verbs.ts gives it one). */
function targetOf(ctx: CommandContext): Target {
  if (!ctx.target) throw new Error("this command needs a database, but no target was resolved for it (see verbs.ts)");
  return ctx.target;
}

function engineOptions(ctx: CommandContext, log?: MigrateOptions["log"]): MigrateOptions {
  const t = targetOf(ctx);
  const v = ctx.values;
  // Checked when the command line was parsed (options.ts).
  const wait = v["lock-wait"];
  return {
    connection: t.connection,
    ownerRole: t.ownerRole,
    dir: ctx.dir,
    environment: t.choice.env,
    log,
    lockWaitMs: wait !== undefined ? Number(wait) : undefined,
    lockTimeout: v["lock-timeout"],
    statementTimeout: v["statement-timeout"],
    allowOutOfOrder: v["allow-out-of-order"] === true,
    // No default inside the working tree: a prod dump must never end up committed by accident.
    backupDir: v["backup-dir"] ?? ctx.vars.PRECOG_BACKUP_DIR,
    lint: v.lint === true ? true : undefined,
    // main() has already applied assertProdConfirmed with the .env-aware variables.
    prodConfirmed: true,
  };
}

/** How often a long migration reports that it is still running: PRECOG_PROGRESS_INTERVAL_MS, default 10 s. */
function progressInterval(ctx: CommandContext): number {
  const ms = Number(ctx.vars.PRECOG_PROGRESS_INTERVAL_MS);
  return Number.isFinite(ms) && ms >= 100 ? ms : 10_000;
}

function printJson(ctx: CommandContext, value: unknown): boolean {
  if (ctx.values.json) ctx.out.out(JSON.stringify(value, null, 2));
  return ctx.values.json === true;
}

export const migrateCommand: Command = async (ctx) => {
  const { migrate } = await import("../migrate/runner");
  const { stackOrderGate } = await import("./stack-gate");
  const allowed = await stackOrderGate(ctx);
  const progress = ctx.out.progress(progressInterval(ctx));
  try {
    const r = await migrate({
      ...engineOptions(ctx, ctx.values.json ? undefined : progress.log),
      targetVersion: ctx.values.to,
      allowed,
    });
    printJson(ctx, r);
    return 0;
  } finally {
    progress.stop();
  }
};

export const downCommand: Command = async (ctx) => {
  const { down } = await import("../migrate/down");
  const { plannedLedgerRefresh } = await import("./ledger-refresh");
  // Checked before anything is rolled back: the next stack's gate reads this stack's recorded ledger.
  const refresh = await plannedLedgerRefresh(ctx);
  const progress = ctx.out.progress(progressInterval(ctx));
  try {
    const r = await down({
      ...engineOptions(ctx, ctx.values.json ? undefined : progress.log),
      to: ctx.values.to,
    }).catch(async (err) => {
      // A rollback that failed part way may have rolled some back: record what the database holds.
      progress.stop();
      await refresh?.run().catch((e: Error) => ctx.out.err(`precog-db: ${e.message}`));
      throw err;
    });
    progress.stop();
    if (!ctx.values.json)
      ctx.out.err(r.rolledBack.length ? `Rolled back ${r.rolledBack.length} migration(s).` : "Nothing to roll back.");
    if (r.rolledBack.length > 0) await refresh?.run();
    // --json: the result once the stack records it (a failed refresh is the error on stdout).
    printJson(ctx, r);
    return 0;
  } finally {
    progress.stop();
  }
};

export const statusCommand: Command = async (ctx) => {
  const { status } = await import("../migrate/status");
  const r = await status(engineOptions(ctx));
  if (!printJson(ctx, r)) {
    for (const e of r.entries) {
      ctx.out.out(
        e.state === "applied"
          ? `applied  ${e.version}_${e.name}  ${e.appliedAt} by ${e.appliedBy} (${e.durationMs} ms)`
          : `pending  ${e.version}_${e.name}`,
      );
    }
    const pending = r.entries.filter((e) => e.state === "pending").length;
    ctx.out.out(`${r.target}: ${r.entries.length - pending} applied, ${pending} pending`);
    for (const p of r.problems) ctx.out.err(`problem: ${p}`);
  }
  return r.problems.length > 0 ? 1 : 0;
};

export const planCommand: Command = async (ctx) => {
  const { plan } = await import("../migrate/status");
  const { formatFindings } = await import("../migrate/lint");
  // --to as for migrate, so plan lists exactly what `migrate --to` would apply.
  const r = await plan({ ...engineOptions(ctx), targetVersion: ctx.values.to });
  if (!printJson(ctx, r)) {
    if (r.pending.length === 0) ctx.out.out(`${r.target}: up to date, nothing would run.`);
    for (const p of r.pending)
      ctx.out.out(
        `would apply  ${p.version}_${p.name}${p.transactional ? "" : "  (transaction:false)"}  sha256 ${p.checksum.slice(0, 12)}`,
      );
    if (r.findings.length) ctx.out.out(formatFindings(r.findings));
    if (r.notes.length) ctx.out.out(formatFindings(r.notes));
    for (const p of r.problems) ctx.out.err(`problem: ${p}`);
  }
  return r.problems.length > 0 ? 1 : 0;
};

export const lintCommand: Command = async (ctx) => {
  const { lint } = await import("../migrate/index");
  const { formatFindings } = await import("../migrate/lint");
  const only = ctx.args.length ? ctx.args.map((a) => basename(a)) : undefined;
  const env = ctx.environment;
  const r = await lint(ctx.dir, { environment: env, only, lockTimeout: ctx.values["lock-timeout"] });
  if (!printJson(ctx, r)) {
    if (r.findings.length) ctx.out.out(formatFindings(r.findings));
    if (r.notes.length) ctx.out.out(formatFindings(r.notes));
    const errors = r.findings.filter((f) => f.severity === "error").length;
    ctx.out.err(
      `lint (${env}): ${errors} error(s), ${r.findings.filter((f) => f.severity === "warning").length} warning(s), ${r.findings.filter((f) => f.severity === "approved").length} approved, ${r.notes.length} note(s)`,
    );
  }
  return r.failed ? 1 : 0;
};

export const validateCommand: Command = async (ctx) => {
  const { validate } = await import("../migrate/index");
  const scratchUrl = ctx.values["scratch-url"];
  // The scratch server gets the same connection rules (TLS mode, timeout) as the target.
  const scratch =
    scratchUrl === undefined
      ? undefined
      : (await negotiateTarget(resolveTarget({ ...ctx.vars, PRECOG_ENV: ctx.environment }, scratchUrl, ctx.cwd)))
          .connection;
  // main() has already applied assertProdConfirmed with the .env-aware variables.
  const target = targetOf(ctx);
  const r = await validate({
    connection: target.connection,
    dir: ctx.dir,
    environment: target.choice.env,
    scratchConnection: scratch,
    prodConfirmed: true,
  });
  if (!printJson(ctx, r)) {
    for (const d of r.drift) ctx.out.out(`${d.kind.padEnd(8)} ${d.object}\n    ${d.detail}`);
    ctx.out.out(r.ok ? `${r.target}: no drift.` : `${r.target}: ${r.drift.length} difference(s).`);
  }
  return r.ok ? 0 : 1;
};

export const newCommand: Command = async (ctx) => {
  const { listMigrations, MAX_VERSION, migrationTemplate } = await import("../migrate/files");
  const name = ctx.args[0];
  if (!name || ctx.args.length > 1 || !/^[a-z0-9][a-z0-9_]*$/.test(name)) {
    throw new UsageError(
      `new needs one name of lowercase letters, digits and underscores, e.g. precog-db new add_market_tags (got ${ctx.args.length ? `"${ctx.args.join(" ")}"` : "nothing"}).`,
    );
  }
  const refs = existsSync(ctx.dir) ? listMigrations(ctx.dir) : [];
  let version: string;
  // Continue the folder's style: a 14-digit newest version means timestamps are in use.
  if (ctx.values.timestamp || refs[refs.length - 1]?.version.length === 14) {
    version = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  } else {
    const last = refs[refs.length - 1];
    version = last ? String(last.order + 1n).padStart(last.version.length, "0") : "0001";
  }
  if (BigInt(version) > MAX_VERSION)
    throw new Error(
      `the next version, ${version}, is more than a version can be (at most ${MAX_VERSION}, the history's bigint): renumber the newest file ${refs[refs.length - 1]?.filename ?? ""} lower.`,
    );
  if (refs.length && BigInt(version) <= refs[refs.length - 1].order)
    throw new Error(`version ${version} is not after the newest file ${refs[refs.length - 1].filename}.`);
  mkdirSync(ctx.dir, { recursive: true });
  const file = join(ctx.dir, `${version}_${name}.sql`);
  writeFileSync(file, migrationTemplate(), { flag: "wx" });
  const rel = relative(ctx.cwd, file);
  ctx.out.out(rel.startsWith("..") ? file : rel);
  return 0;
};
