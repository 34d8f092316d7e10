/**
 * PrecogMigrations: the post-deploy migration component. After the database, roles and grants
 * exist, it applies `migrations/` logged in as the migrator and acting as the owner role (the
 * engine's SET ROLE before each migration), in stack order (dev -> test -> staging ->
 * prod), through the migration engine.
 *
 * At preview, before any query: the files and their checksums (the engine's stat cache), this
 * stack's last recorded ledger and the predecessor's (StackReferences), the stack-order gate, and
 * lint of the pending files (./pending-lint.ts: warnings, in previews; errors on staging and prod
 * unless approved in the file). The resource's diff names each pending file; `up` applies them
 * (./provider-impl.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../src/env/environment";
import {
  type LedgerEntry,
  type MigrationFileSum,
  migrationFiles,
  stackOrderError,
  stackOrderProblems,
} from "../../src/migrate";
import { lintPending } from "./pending-lint";
import { MigrationsProvider, MigrationsResource } from "./provider";
import type { BackupPlan, MigrationsConnection } from "./state";

export interface PrecogMigrationsArgs {
  readonly environment: Environment;
  /** The migrator's login and the owner role it acts as; its password a secret. */
  readonly connection: pulumi.Input<MigrationsConnection>;
  /** The migrations folder, absolute. */
  readonly dir: string;
  /** The stack before this one (a name in this project, or org/project/stack); none for dev. */
  readonly predecessor?: string;
  readonly backup: pulumi.Input<BackupPlan>;
  readonly operator: string;
  /** The database, roles and privileges it must come after. */
  readonly after: readonly pulumi.Resource[];
  readonly protect: boolean;
}

export class PrecogMigrations extends pulumi.ComponentResource {
  /** The applied ledger (the stack's `migrations` output, which the next stack's gate reads). */
  readonly ledger: pulumi.Output<LedgerEntry[]>;
  readonly schemaVersion: pulumi.Output<string | null>;

  constructor(name: string, args: PrecogMigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:migrations:PrecogMigrations", name, {}, opts);
    const parent = this;
    const provider = new MigrationsProvider(`${name}-provider`, { parent, protect: args.protect });
    const stack = pulumi.getStack();
    const recorded = ledgerOf(new pulumi.StackReference(`${name}-recorded`, { name: qualified(stack) }, { parent }));
    const predecessor = args.predecessor
      ? {
          name: args.predecessor,
          ledger: predecessorLedger(
            new pulumi.StackReference(`${name}-predecessor`, { name: qualified(args.predecessor) }, { parent }),
            args.predecessor,
            stack,
          ),
        }
      : undefined;

    const checked = pulumi
      .all([migrationFiles(args.dir), recorded, predecessor?.ledger ?? null])
      .apply(async ([files, own, before]) => {
        const pending = pendingFiles(files, own);
        if (predecessor && before) {
          const gate = { stack, pending, predecessor: predecessor.name, predecessorLedger: before };
          const problems = stackOrderProblems(gate);
          if (problems.length > 0) throw new pulumi.RunError(stackOrderError(gate, problems).message);
        }
        await lintPending({
          dir: args.dir,
          environment: args.environment,
          pending,
          preview: pulumi.runtime.isDryRun(),
          log: { info: (m) => pulumi.log.info(m, this), warn: (m) => pulumi.log.warn(m, this) },
        });
        return {
          migrations: Object.fromEntries(files.map((f) => [f.filename, f.checksum])),
          allowed: before ? before.map(({ version, checksum }) => ({ version, checksum })) : null,
        };
      });

    const resource = new MigrationsResource(
      name,
      {
        environment: args.environment,
        connection: args.connection,
        dir: args.dir,
        migrations: checked.migrations,
        allowed: checked.allowed,
        backup: args.backup,
        operator: args.operator,
        ledger: undefined,
        schemaVersion: undefined,
        lastBackup: undefined,
      },
      { parent, provider, dependsOn: [...args.after], protect: args.protect, additionalSecretOutputs: ["connection"] },
    );

    this.ledger = resource.ledger;
    this.schemaVersion = resource.schemaVersion;
    this.registerOutputs({ schemaVersion: this.schemaVersion });
  }
}

/** A stack name in this project becomes organization/project/stack; a qualified one stays. */
function qualified(stack: string): string {
  return stack.includes("/") ? stack : `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/** A stack's `migrations` output; empty when it has none yet (a stack never deployed with them). */
function ledgerOf(ref: pulumi.StackReference): pulumi.Output<LedgerEntry[]> {
  return ref.getOutput("migrations").apply((v) => (Array.isArray(v) ? (v as LedgerEntry[]) : []));
}

function predecessorLedger(
  ref: pulumi.StackReference,
  predecessor: string,
  stack: string,
): pulumi.Output<LedgerEntry[]> {
  return ref.getOutput("migrations").apply((v) => {
    if (!Array.isArray(v)) {
      throw new pulumi.RunError(
        `Stack "${stack}" applies migrations only after "${predecessor}" has, but "${predecessor}" has no migrations ledger: ` +
          `deploy it first (pulumi up --stack ${predecessor}), or fix precog:migrations.predecessor.`,
      );
    }
    return v as LedgerEntry[];
  });
}

function pendingFiles(files: readonly MigrationFileSum[], own: readonly LedgerEntry[]): MigrationFileSum[] {
  const applied = new Set(own.map((e) => e.version));
  return files.filter((f) => !applied.has(f.version));
}
