/**
 * A throwaway copy of this Pulumi project for end-to-end runs of the real engine: the project's
 * program and stack files in a temp folder (node_modules linked), a file backend and passphrase of
 * its own, and every stack pointed at the test run's PostgreSQL cluster through config. The
 * committed stack files stay untouched; staging and prod lose their precog:rds group in the copy,
 * which makes their server local (their precog:rotation is then unused).
 *
 * Every `preview` and `up` runs with the project's policy pack (policy/, as CI runs it): see `run`.
 */
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { applyOverrides, type ConfigOverrides } from "./config-overrides";
import { type LocalCluster, startLocalCluster } from "./local-cluster";
import { probeServer } from "./probes";

export const ROOT = resolve(__dirname, "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for scans. */
  all: string;
}

/** Where the Pulumi CLI is: scripts/pulumi-engine.sh finds it (or builds it once); plugins are in PULUMI_HOME. */
export interface Engine {
  binDir: string;
}

/**
 * Asynchronous, like every command here: a test worker that blocks for minutes (a first engine
 * build, a slow `pulumi up`) misses its runner's heartbeats.
 */
export async function findEngine(): Promise<Engine> {
  const binDir = await new Promise<string>((ok, fail) =>
    execFile(
      "bash",
      [join(ROOT, "scripts/pulumi-engine.sh"), "path"],
      { encoding: "utf8", maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? fail(new Error(`scripts/pulumi-engine.sh path failed:\n${stderr}`)) : ok(stdout)),
    ),
  );
  return { binDir: binDir.trim() };
}

/** The policy pack every preview and up of the end-to-end runs uses. */
export function withPolicyPack(args: readonly string[], pack: string): string[] {
  const runsPolicies = args[0] === "preview" || args[0] === "up";
  return runsPolicies && !args.includes("--policy-pack") ? [...args, "--policy-pack", pack] : [...args];
}

/**
 * A state backend other than the copy's own file backend: its URL (never with a password in it) and
 * the variables it needs (PGPASSFILE for a postgres:// one).
 */
export interface Backend {
  readonly url: string;
  readonly env?: Readonly<Record<string, string>>;
}

export class PulumiProject {
  readonly dir: string;
  readonly stateDir: string;
  /** Everything every command printed, for the plaintext-password scan. */
  readonly transcript: string[] = [];
  private readonly env: NodeJS.ProcessEnv;

  constructor(engine: Engine, backend?: Backend) {
    const base = mkdtempSync(join(tmpdir(), "precog-e2e-"));
    this.dir = join(base, "project");
    this.stateDir = join(base, "state");
    mkdirSync(this.stateDir, { recursive: true });
    mkdirSync(this.dir);
    for (const f of [
      "Pulumi.yaml",
      "Pulumi.dev.yaml",
      "Pulumi.test.yaml",
      "Pulumi.staging.yaml",
      "Pulumi.prod.yaml",
      "tsconfig.json",
      "tsconfig.infra.json",
      "package.json",
    ]) {
      cpSync(join(ROOT, f), join(this.dir, f));
    }
    for (const d of ["infra", "src", "dist/pulumi", "migrations", "policy"])
      cpSync(join(ROOT, d), join(this.dir, d), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(this.dir, "node_modules"));
    this.env = {
      ...process.env,
      PATH: `${engine.binDir}:${join(ROOT, "node_modules/.bin")}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: backend?.url ?? `file://${this.stateDir}`,
      // The local stacks' committed encryptionsalt needs their passphrase; staging and prod take
      // the same one here, in throwaway state.
      PULUMI_CONFIG_PASSPHRASE: undefined,
      PULUMI_CONFIG_PASSPHRASE_FILE: join(ROOT, "config/local-stacks.passphrase"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_EXPERIMENTAL: undefined,
      PRECOG_ENV: undefined,
      PRECOG_PROD_CONFIRMED: undefined,
      CI: "true",
      ...backend?.env,
    };
  }

  /** Applies `overrides` (keys or `--path` style paths; undefined removes) to Pulumi.<stack>.yaml of the copy. */
  configure(stack: string, overrides: ConfigOverrides): void {
    const file = join(this.dir, `Pulumi.${stack}.yaml`);
    const doc = parse(readFileSync(file, "utf8"));
    doc.config = applyOverrides(doc.config ?? {}, overrides);
    writeFileSync(file, stringify(doc));
  }

  /** The environment every command of this copy runs with (engine, backend, passphrase). */
  environment(): NodeJS.ProcessEnv {
    return { ...this.env };
  }

  /** Runs `pulumi args...` with `overrides` applied to the stack's config for this run only. */
  async runWithConfig(
    stack: string,
    overrides: ConfigOverrides,
    args: string[],
    extraEnv: Record<string, string | undefined> = {},
  ): Promise<CliResult> {
    const file = join(this.dir, `Pulumi.${stack}.yaml`);
    const saved = readFileSync(file, "utf8");
    this.configure(stack, overrides);
    try {
      return await this.run(args, extraEnv);
    } finally {
      writeFileSync(file, saved);
    }
  }

  /**
   * Points `stack` at a local server on 127.0.0.1 (staging and prod included, for end-to-end
   * runs): no precog:rds, and precog:local naming the server and its admin password file.
   */
  useLocalServer(stack: string, server: { readonly port: number; readonly adminPasswordFile: string }): void {
    this.configure(stack, {
      "precog:rds": undefined,
      "precog:local": { host: "127.0.0.1", port: server.port, adminPasswordFile: server.adminPasswordFile },
      "precog:migrations.backupDir": join(this.dir, "..", "backups"),
    });
  }

  /**
   * Runs `pulumi args...` in the copy; never throws on a non-zero exit. A `preview` or `up` gets
   * `--policy-pack policy` (the copy's pack, compiled in its dist/) unless it names a pack itself.
   */
  run(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
    args = withPolicyPack(args, join(this.dir, "policy"));
    return new Promise((ok, fail) => {
      const child = spawn("pulumi", args, {
        cwd: this.dir,
        env: { ...this.env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGTERM"), 600_000);
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(timer);
        const result = { code: code ?? -1, stdout, stderr, all: `${stdout}\n${stderr}` };
        this.transcript.push(`$ pulumi ${args.join(" ")}\n${result.all}`);
        ok(result);
      });
    });
  }

  /** Like run, but throws with the output when the command fails. */
  async ok(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
    const r = await this.run(args, extraEnv);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.all.slice(-6000)}`);
    return r;
  }

  /** The URNs in the stack's state. */
  async stateUrns(stack: string): Promise<string[]> {
    const exported = JSON.parse((await this.ok(["stack", "export", "--stack", stack])).stdout);
    return (exported.deployment?.resources ?? []).map((r: { urn: string }) => r.urn);
  }

  async outputs(stack: string, showSecrets = false): Promise<any> {
    const args = ["stack", "output", "--json", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])];
    return JSON.parse((await this.ok(args)).stdout);
  }

  remove(): void {
    rmSync(resolve(this.dir, ".."), { recursive: true, force: true });
  }
}

/**
 * What each end-to-end suite starts from: a cluster of its own (the probes look at it) and a
 * project copy with `stacks` pointed at it and initialised. `closeSuite` removes both.
 */
export async function openSuite(
  stacks: readonly string[],
  settings: Parameters<typeof startLocalCluster>[0] = [],
): Promise<{ project: PulumiProject; cluster: LocalCluster }> {
  const cluster = await startLocalCluster(settings);
  probeServer(cluster);
  const project = new PulumiProject(await findEngine());
  for (const stack of stacks) {
    project.useLocalServer(stack, cluster);
    await project.ok(["stack", "init", stack]);
  }
  return { project, cluster };
}

export function closeSuite(project: PulumiProject | undefined, cluster: LocalCluster | undefined): void {
  project?.remove();
  cluster?.stop();
}
