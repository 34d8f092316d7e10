/**
 * PrecogMigrations: the post-deploy migration component. After the database, roles and grants
 * exist, it applies `migrations/` logged in as the migrator and acting as the owner role (the
 * engine's SET ROLE before each migration), in stack order (dev -> test -> staging ->
 * prod), through the migration engine.
 *
 * The program, before any query, gives the resource the files' digest (their checksums through the
 * engine's stat cache) and what the predecessor has applied of them (its `migrations` output, a
 * ledger summary of a fixed size read through a StackReference, settled against the files:
 * src/migrate `predecessorView`). The provider (./plugin/crud.ts), which has the summary of the
 * ledger this stack recorded, compares the digests; when they differ it reads the folder, finds what
 * is pending, gates and lints it (./plugin/pending.ts) and names each pending file in its log at
 * preview; `up` applies them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../src/env/environment";
import {
  type LedgerSummary,
  type MigrationFolder,
  migrationFolder,
  type PredecessorView,
  predecessorView,
  sameList,
  summaryFromOutput,
} from "../../src/migrate";
import type { BackupPlan, MigrationsLogin } from "./contract";
import { type MigrationsProvider, MigrationsResource } from "./resource";

export interface PrecogMigrationsArgs {
  readonly environment: Environment;
  /**
   * Where the migrator logs in, the owner role it acts as, and where the plugin finds its password
   * when it connects (never the password: a rotation changes no input).
   */
  readonly login: pulumi.Input<MigrationsLogin>;
  /** The migrations folder, absolute. */
  readonly dir: string;
  /** The stack before this one (a name in this project, or org/project/stack); none for dev. */
  readonly predecessor?: string;
  readonly backup: pulumi.Input<BackupPlan>;
  readonly operator: string;
  /** The database, roles and privileges it must come after. */
  readonly after: readonly pulumi.Resource[];
  readonly protect: boolean;
  /** Its provider, registered by the program before anything else (./resource.ts). */
  readonly provider: MigrationsProvider;
}

export class PrecogMigrations extends pulumi.ComponentResource {
  /** The applied ledger's summary (the stack's `migrations` output, which the next stack's gate reads). */
  readonly applied: pulumi.Output<LedgerSummary>;
  readonly schemaVersion: pulumi.Output<string | null>;

  constructor(name: string, args: PrecogMigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:migrations:PrecogMigrations", name, {}, opts);
    const parent = this;
    const stack = pulumi.getStack();
    const folder = migrationFolder(args.dir);
    const predecessorApplied = args.predecessor
      ? predecessorOf(
          new pulumi.StackReference(`${name}-predecessor`, { name: qualified(args.predecessor) }, { parent }),
          args.predecessor,
          stack,
          folder,
        )
      : null;

    const resource = new MigrationsResource(
      name,
      {
        environment: args.environment,
        login: args.login,
        dir: args.dir,
        files: folder.then((f) => f.digest),
        predecessor: args.predecessor ?? null,
        predecessorApplied,
        backup: args.backup,
        operator: args.operator,
        applied: undefined,
        schemaVersion: undefined,
        lastBackup: undefined,
      },
      {
        parent,
        provider: args.provider,
        dependsOn: [...args.after],
        protect: args.protect,
      },
    );

    this.applied = resource.applied;
    this.schemaVersion = resource.schemaVersion;
    this.registerOutputs({ schemaVersion: this.schemaVersion });
  }
}

/** A stack name in this project becomes organization/project/stack; a qualified one stays. */
function qualified(stack: string): string {
  return stack.includes("/") ? stack : `${pulumi.getOrganization()}/${pulumi.getProject()}/${stack}`;
}

/** What the predecessor has applied of `files`, from its `migrations` output; an error saying to deploy it when it has none. */
function predecessorOf(
  ref: pulumi.StackReference,
  predecessor: string,
  stack: string,
  folder: Promise<MigrationFolder>,
): pulumi.Output<PredecessorView> {
  return pulumi.all([ref.getOutput("migrations"), folder]).apply(([output, here]) => {
    let summary: LedgerSummary | undefined;
    try {
      summary = summaryFromOutput(output, predecessor);
    } catch (e) {
      throw new pulumi.RunError((e as Error).message);
    }
    if (summary === undefined) {
      throw new pulumi.RunError(
        `Stack "${stack}" applies migrations only after "${predecessor}" has, but "${predecessor}" has no migrations ledger: ` +
          `deploy it first (pulumi up --stack ${predecessor}), or fix precog:migrations.predecessor.`,
      );
    }
    // Applied exactly these files (the stacks at the same point): no file needs reading.
    if (sameList(here.digest, summary)) return { newest: summary.newest, differs: {} };
    return predecessorView(summary, here.files());
  });
}
