/**
 * `precog-db rotate --env <dev|test> [--role app|readonly|migrator]`: a new generated password for one
 * login role of a local stack, in the stack and in PostgreSQL, and `.env.<env>` written again.
 *
 *  1. read the stack's state: the role, its password resource, the admin connection Pulumi uses
 *  2. check that admin connection works and the role exists (nothing is changed before this)
 *  3. `pulumi up --replace <password> --target <password>`: random.RandomPassword makes a new one;
 *     it is the password's one home in the stack (the outputs and .env.<env> come from it). The
 *     engine includes providers in every targeted up, so the same up records the migrator's new
 *     password in the migration provider's config, where its plugin reads it from the next run on
 *  4. `.env.<env>` rewritten by scripts/env-file.ts (mode 0600, swapped in whole): the new password
 *     is readable before the old one stops working, so an app pool refused for its password finds
 *     the new one at once (it re-reads with backoff, src/app/waits.ts, for the moment until step 5)
 *  5. ALTER ROLE ... PASSWORD '<SCRAM verifier>' as the admin: the password never appears in SQL;
 *     if PostgreSQL refuses it, `.env.<env>` is put back as it was (the old password still works)
 *
 * Why the next `pulumi up` and `preview` change nothing: postgresql.Role ignores changes to its
 * password (the rotation guarantee), the password resource already holds the new value, and the
 * migration resource's inputs hold no password (its provider's config does, and the plugin's
 * DiffConfig calls a new one no change: infra/migrations/plugin/provider-config.ts). Nothing is
 * migrated, so a pending migration, failing or not, plays no part in a rotation.
 * Staging and prod are refused: they rotate through Secrets Manager (docs/operations.md).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeEnvFile } from "../../env/env-file";
import { environmentsWhere, isEnvironment } from "../../env/environment";
import { singleAttemptSsl } from "../../env/tls";
import { withClient } from "../../migrate/pg";
import type { Command, CommandContext } from "../context";
import { isProjectDir, LocalStack, type RoleInState } from "../local-stack";
import { scramVerifier } from "./scram";

export const ROTATABLE_ROLES = ["app", "readonly", "migrator"] as const;
/** The environments a workstation rotates; the others rotate through Secrets Manager. */
const LOCAL_STACKS: readonly string[] = environmentsWhere("rotatesFromWorkstation");

export const rotateCommand: Command = async (ctx) => {
  const env = ctx.values.env;
  const role = ctx.values.role ?? "app";
  if (isEnvironment(env ?? "") && !LOCAL_STACKS.includes(env ?? "") && role === "migrator")
    throw new Error(
      `rotate runs on the local stacks (${LOCAL_STACKS.join(", ")}) only, and on ${env} the migrator has nothing to rotate: ` +
        "it logs in by IAM database authentication, a 15-minute token signed for each login, with no password or secret (docs/aws.md, IAM database logins).",
    );
  if (isEnvironment(env ?? "") && !LOCAL_STACKS.includes(env ?? ""))
    throw new Error(
      `rotate runs on the local stacks (${LOCAL_STACKS.join(", ")}) only: ${env} rotates through Secrets Manager, never from a workstation. ` +
        `Run \`aws secretsmanager rotate-secret --secret-id precog/${env}/${role}\` (docs/operations.md, "Rotating a credential").`,
    );
  if (env === undefined || !LOCAL_STACKS.includes(env))
    throw new Error(
      `rotate needs ${LOCAL_STACKS.map((e) => `--env ${e}`).join(" or ")}${env === undefined ? "" : ` (got "${env}")`}.`,
    );
  if (!(ROTATABLE_ROLES as readonly string[]).includes(role))
    throw new Error(`--role must be one of ${ROTATABLE_ROLES.join(", ")} (got "${role}").`);
  if (!isProjectDir(ctx.cwd))
    throw new Error(`rotate runs in the project's folder (the one with Pulumi.yaml); ${ctx.cwd} has none.`);

  const stack = new LocalStack(env, ctx.cwd, ctx.vars);
  const before = await stack.role(role);
  ctx.out.addSecrets([before.password, before.admin.password]);
  if (before.server !== "local")
    throw new Error(
      role === "migrator"
        ? `stack "${env}" runs on ${before.server}, where the migrator logs in by IAM database authentication: it has no password to rotate.`
        : `stack "${env}" runs on ${before.server}, whose credentials Secrets Manager rotates: rotate the secret precog/${env}/${role} there.`,
    );
  await assertRoleReachable(before);

  ctx.out.err(`precog-db rotate: ${role} role ${before.roleName} on stack ${env}: generating a new password`);
  await up(
    ctx,
    stack,
    ["--replace", before.passwordUrn, "--target", before.passwordUrn],
    "nothing was changed in PostgreSQL",
  );
  const after = await stack.role(role);
  ctx.out.addSecrets([after.password]);
  if (after.password === before.password)
    throw new Error(`stack "${env}" kept the old password; nothing was changed in PostgreSQL.`);

  const envFile = join(ctx.cwd, `.env.${env}`);
  const previous = existsSync(envFile) ? readFileSync(envFile, "utf8") : undefined;
  await rewriteEnvFile(ctx, stack);
  try {
    await withClient(adminConnection(after), "precog-db rotate", (c) =>
      c.query(`ALTER ROLE ${quoteIdent(after.roleName)} PASSWORD '${scramVerifier(after.password)}'`),
    );
  } catch (err) {
    if (previous !== undefined) writeEnvFile(envFile, previous);
    throw new Error(
      `stack "${env}" holds a new password for ${after.roleName} but PostgreSQL did not take it (${(err as Error).message}); ` +
        `the old password still works${previous === undefined ? "" : ` and .env.${env} holds it again`}. ` +
        "Run the same command again: it generates another and sets it.",
      { cause: err },
    );
  }
  ctx.out.err(`  PostgreSQL: ${after.roleName} has the new password; the old one is refused from now on`);

  ctx.out.out(
    `rotated ${role} (${after.roleName}) on ${env}: PostgreSQL and the stack agree; .env.${env} rewritten (mode 0600)`,
  );
  return 0;
};

/** A targeted up; on failure, its output (scrubbed) and what state things are in. */
async function up(ctx: CommandContext, stack: LocalStack, args: string[], ifFailed: string): Promise<void> {
  const r = await stack.run(["up", "--yes", "--skip-preview", ...args]);
  if (r.code !== 0) {
    ctx.out.err(r.output.slice(-4000));
    throw new Error(`pulumi up --stack ${stack.stack} ${args.join(" ")} failed (exit ${r.code}); ${ifFailed}.`);
  }
}

async function assertRoleReachable(s: RoleInState): Promise<void> {
  const found = await withClient(adminConnection(s), "precog-db rotate", (c) =>
    c.query("select 1 from pg_roles where rolname = $1", [s.roleName]),
  ).catch((err: Error) => {
    throw new Error(
      `cannot reach the server as ${s.admin.user}@${s.admin.host}:${s.admin.port} (${err.message}); nothing was changed. ` +
        "Start it (bash scripts/local-pg.sh start) and try again.",
      { cause: err },
    );
  });
  if (found.rowCount !== 1)
    throw new Error(`role ${s.roleName} does not exist on the server; nothing was changed. Run pulumi up first.`);
}

function adminConnection(s: RoleInState) {
  const a = s.admin;
  return {
    host: a.host,
    port: a.port,
    user: a.user,
    password: a.password,
    database: a.database,
    ssl: singleAttemptSsl(a.sslMode, undefined, "the stack's admin connection"),
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** scripts/env-file.ts (compiled into dist/pulumi): .env.<env> from the stack's outputs. */
function rewriteEnvFile(ctx: CommandContext, stack: LocalStack): Promise<void> {
  const script = resolve(__dirname, "../../pulumi/scripts/env-file.js");
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build, then rerun rotate.`);
  return new Promise((ok, fail) =>
    execFile(
      process.execPath,
      [script, stack.stack],
      { cwd: ctx.cwd, env: stack.environment() },
      (err, stdout, stderr) => {
        if (err)
          return fail(
            new Error(
              `the stack holds a new password, but writing .env.${stack.stack} failed: ${stderr.trim()}; nothing was changed in PostgreSQL ` +
                "(the old password still works). Run the same command again.",
            ),
          );
        ctx.out.err(`  ${stdout.trim()}`);
        ok();
      },
    ),
  );
}
