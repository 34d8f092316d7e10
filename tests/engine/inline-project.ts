/**
 * A throwaway copy of this Pulumi project whose stacks run inline programs through Pulumi's
 * Automation API and the real CLI. The copy is testbed/pulumi-project.ts's (Pulumi.yaml and the
 * four stack files, migrations/, infra/ with the migration plugin and the dist/pulumi it runs,
 * node_modules linked, a file backend of its own); the program is a function served from this test
 * process, so the CLI needs no Node.js language host, and the only plugin it starts is the
 * project's own (Pulumi.yaml, plugins.providers). A program gets the variables a language host
 * would have given it (the copy's environment and the run's extra ones) as an argument, since it
 * runs in this process: `process.env` is left alone. Everything the engine printed, and every
 * error's message, goes into `transcript`.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import type { ConfigOverrides } from "../../testbed/config-overrides";
import { type Backend, findEngine, PulumiProject } from "../../testbed/pulumi-project";

export type Vars = Readonly<Record<string, string | undefined>>;

/** An inline program: what it exports, from the variables its run was given. */
export type InlineProgram = (vars: Vars) => Promise<Record<string, unknown> | undefined>;

export interface RunOptions {
  /** Variables for this run only, for the program and the CLI (and the plugins it starts) alike. */
  readonly env?: Vars;
  /** `--expect-no-changes`. */
  readonly expectNoChanges?: boolean;
  /** `--diff`. */
  readonly diff?: boolean;
  /** `--refresh`: a refresh before the preview or up. */
  readonly refresh?: boolean;
  /** `--target`: these URNs only (and, as the engine does, every provider). */
  readonly target?: readonly string[];
  /** preview: `--save-plan <file>`; up: `--plan <file>` (update plans: PULUMI_EXPERIMENTAL=true in `env`). */
  readonly plan?: string;
  /** `--debug`: the engine prints debug-level messages from the program and the plugins. */
  readonly debug?: boolean;
}

export interface RunResult {
  readonly ok: boolean;
  /** What the engine printed (stdout, then stderr), and the error's message when it failed. */
  readonly output: string;
  /** The resource operations counted: up's summary (`same`, `create`, `update`...) or preview's change summary. */
  readonly changes: Readonly<Record<string, number>>;
}

/** A run that does not end by then is cancelled (SIGINT to the CLI), and given up on a minute later. */
const RUN_LIMIT_MS = 8 * 60_000;

export class InlineProject {
  /** Everything every run printed, with each failure's message. */
  readonly transcript: string[] = [];
  private readonly stacks = new Map<string, Stack>();

  private constructor(
    /** The copy and its backend: testbed/pulumi-project.ts. */
    readonly copy: PulumiProject,
    private readonly command: PulumiCommand,
  ) {}

  /**
   * The copy, and the CLI that scripts/pulumi-engine.sh answers with (found asynchronously); its
   * state in `backend` when given (two copies on one backend are two checkouts of one team).
   */
  static async open(backend?: Backend): Promise<InlineProject> {
    const engine = await findEngine();
    const command = await PulumiCommand.get({ root: dirname(engine.binDir), skipVersionCheck: true });
    return new InlineProject(new PulumiProject(engine, backend), command);
  }

  /** The copy's folder, where Pulumi.yaml is. */
  get dir(): string {
    return this.copy.dir;
  }

  /** The folder the copy's staging and prod stacks back up to (precog:migrations.backupDir). */
  get backupDir(): string {
    return resolve(this.copy.dir, "..", "backups");
  }

  useLocalServer(stack: string, server: { readonly port: number; readonly adminPasswordFile: string }): void {
    this.copy.useLocalServer(stack, server);
  }

  configure(stack: string, overrides: ConfigOverrides): void {
    this.copy.configure(stack, overrides);
  }

  /** Runs `fn` with `overrides` applied to Pulumi.<stack>.yaml of the copy, then puts the file back. */
  async withConfig<T>(stack: string, overrides: ConfigOverrides, fn: () => Promise<T>): Promise<T> {
    const file = join(this.dir, `Pulumi.${stack}.yaml`);
    const saved = readFileSync(file, "utf8");
    this.configure(stack, overrides);
    try {
      return await fn();
    } finally {
      writeFileSync(file, saved);
    }
  }

  /** The types of the resources in the stack's state, in its order. */
  async stateTypes(stack: string): Promise<string[]> {
    return ((await this.exportState(stack)).resources ?? []).map((r) => r.type);
  }

  /** The stack, created in the copy's backend on first use. */
  async stack(name: string): Promise<Stack> {
    let stack = this.stacks.get(name);
    if (!stack) {
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: this.dir },
        { workDir: this.dir, envVars: this.cliEnv(), pulumiCommand: this.command },
      );
      this.stacks.set(name, stack);
    }
    return stack;
  }

  preview(stack: string, program: InlineProgram, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, program, opts, async (s, common) => {
      const r = await s.preview({ ...common, ...flagsOf(opts) });
      return r.changeSummary;
    });
  }

  up(stack: string, program: InlineProgram, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, program, opts, async (s, common) => {
      const r = await s.up({ ...common, ...flagsOf(opts) });
      return r.summary.resourceChanges ?? {};
    });
  }

  /**
   * `pulumi refresh --run-program` (with `--target` when given): the program runs, so the
   * resources' Read results reach the stack's outputs too; what `precog-db down` runs after a
   * rollback (src/cli/ledger-refresh.ts). `runProgram: false`: a plain `pulumi refresh`, which
   * diffs each resource's refreshed state against its recorded inputs.
   */
  refresh(
    stack: string,
    program: InlineProgram,
    opts: Pick<RunOptions, "env" | "target"> & { readonly runProgram?: boolean } = {},
  ): Promise<RunResult> {
    return this.run(stack, program, opts, async (s, common) => {
      const runProgram = opts.runProgram ?? true;
      const r = await s.refresh({ ...common, runProgram, target: opts.target ? [...opts.target] : undefined });
      return r.summary.resourceChanges ?? {};
    });
  }

  destroy(stack: string, program: InlineProgram, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, program, opts, async (s, common) => {
      const r = await s.destroy(common);
      return r.summary.resourceChanges ?? {};
    });
  }

  /**
   * The stack's state as `pulumi stack export` writes it, secrets encrypted (the Automation API's
   * `stack.exportStack()` runs it with --show-secrets, which decrypts them).
   */
  async exportState(stack: string): Promise<{ resources?: StateResource[] } & Record<string, unknown>> {
    return (await this.exportDocument(stack)).deployment;
  }

  /**
   * The whole document `pulumi stack export` prints (its version and the deployment), for
   * `importDocument`; with `showSecrets`, the secrets in clear, still marked as secrets.
   */
  async exportDocument(stack: string, { showSecrets = false } = {}): Promise<ExportedDocument> {
    await this.stack(stack);
    const args = ["stack", "export", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])];
    return JSON.parse((await this.copy.ok(args)).stdout);
  }

  /** Replaces the stack's state with `document` (`pulumi stack import`), through a file removed afterwards. */
  async importDocument(stack: string, document: ExportedDocument): Promise<void> {
    const path = join(this.copy.dir, "..", `import-${stack}.json`);
    writeFileSync(path, JSON.stringify(document));
    try {
      await this.copy.ok(["stack", "import", "--stack", stack, "--file", path]);
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** The state's resources of `type`. */
  async resourcesOf(stack: string, type: string): Promise<StateResource[]> {
    return ((await this.exportState(stack)).resources ?? []).filter((r) => r.type === type);
  }

  /** The stack's outputs, plain (secrets shown: keep them out of the transcript). */
  async outputs(stack: string): Promise<Record<string, unknown>> {
    const out = await (await this.stack(stack)).outputs();
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
  }

  /** Everything the engine printed in this project's runs, and every `pulumi stack export`. */
  printed(): string {
    return [...this.transcript, ...this.copy.transcript].join("\n");
  }

  /** Removes the copy and its backend. */
  remove(): void {
    this.copy.remove();
  }

  /** The copy's environment for the CLI: PATH with the engine first, its backend and passphrase. */
  private cliEnv(extra: Vars = {}): Record<string, string> {
    // An undefined value keeps the test process's variable away from the CLI (Node leaves it out).
    return { ...this.copy.environment(), ...extra } as Record<string, string>;
  }

  private async run(
    name: string,
    program: InlineProgram,
    opts: RunOptions,
    op: (
      stack: Stack,
      common: { onOutput: (s: string) => void; onError: (s: string) => void; signal: AbortSignal },
    ) => Promise<Record<string, number> | undefined>,
  ): Promise<RunResult> {
    const stack = await this.stack(name);
    const env = opts.env ?? {};
    const vars: Vars = { ...this.copy.environment(), ...env };
    const fn: PulumiFn = () => program(vars);
    const ws = stack.workspace as LocalWorkspace;
    ws.program = fn;
    // The workspace hands envVars to every CLI command it runs: this run's, then the copy's again.
    Object.assign(ws.envVars, this.cliEnv(env));

    let stdout = "";
    let stderr = "";
    const abort = new AbortController();
    let cancelled = false;
    const cancel = setTimeout(() => {
      cancelled = true;
      abort.abort();
    }, RUN_LIMIT_MS);
    let giveUp: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, fail) => {
      giveUp = setTimeout(
        () => fail(new Error(`stack "${name}": the run did not end within a minute of its cancellation`)),
        RUN_LIMIT_MS + 60_000,
      );
    });
    try {
      const changes = await Promise.race([
        op(stack, {
          onOutput: (s) => (stdout += s),
          onError: (s) => (stderr += s),
          signal: abort.signal,
        }),
        hung,
      ]);
      const output = `${stdout}\n${stderr}`;
      this.transcript.push(output);
      return { ok: true, output, changes: changes ?? {} };
    } catch (e) {
      const limit = cancelled ? `\n(cancelled after ${RUN_LIMIT_MS / 60_000} minutes)` : "";
      const output = `${stdout}\n${stderr}\n${(e as Error).message}${limit}`;
      this.transcript.push(output);
      return { ok: false, output, changes: {} };
    } finally {
      clearTimeout(cancel);
      clearTimeout(giveUp);
      ws.program = undefined;
      for (const k of Object.keys(ws.envVars)) delete ws.envVars[k];
      Object.assign(ws.envVars, this.cliEnv());
    }
  }
}

/** The Automation API's options for `opts`' flags. */
function flagsOf(opts: RunOptions) {
  const { expectNoChanges, diff, refresh, plan, debug } = opts;
  return { expectNoChanges, diff, refresh, plan, debug, target: opts.target ? [...opts.target] : undefined };
}

/** What `pulumi stack export` prints: its version, and the deployment with every resource. */
export interface ExportedDocument {
  readonly version: number;
  readonly deployment: { resources: ExportedResource[] } & Record<string, unknown>;
}

/** A resource of an exported document, its inputs and outputs there to rewrite before an import. */
export type ExportedResource = StateResource & { inputs: Record<string, unknown>; outputs: Record<string, unknown> };

/** A resource as the exported state records it. */
export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly protect?: boolean;
}
