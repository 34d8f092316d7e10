/**
 * A stack as `precog-db rotate` and `down` see it, through the Pulumi CLI on PATH: its state
 * (`pulumi stack export --show-secrets`, read in memory only), and targeted `pulumi up`s and
 * `refresh`es.
 * The backend and passphrase default as scripts/up.sh sets them: PULUMI_BACKEND_URL, else the
 * checkout's file backend in .local/pulumi/state; PULUMI_CONFIG_PASSPHRASE(_FILE), else
 * config/local-stacks.passphrase.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS_TYPE } from "../env/migration-resource";
import type { Vars } from "./target";

interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly provider?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** Pulumi's marker for a secret value in an exported state. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A value as the state holds it, with a secret's plaintext unwrapped. */
function reveal(value: unknown): unknown {
  if (value && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG] !== undefined) {
    const plaintext = (value as { plaintext?: string }).plaintext;
    return plaintext === undefined ? undefined : JSON.parse(plaintext);
  }
  return value;
}

/** How the program provisions the stack's roles: the admin connection of its postgresql provider. */
export interface AdminConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly sslMode: string;
}

/** What rotating one role needs from the state. */
export interface RoleInState {
  readonly server: string;
  readonly roleName: string;
  /** The role's generated password (random.RandomPassword): its one home in the stack. */
  readonly passwordUrn: string;
  readonly password: string;
  readonly admin: AdminConnection;
}

export interface CommandResult {
  readonly code: number;
  readonly output: string;
}

export class LocalStack {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly stack: string,
    readonly cwd: string,
    vars: Vars,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...vars, PULUMI_SKIP_UPDATE_CHECK: "true" };
    if (!env.PULUMI_BACKEND_URL) env.PULUMI_BACKEND_URL = `file://${join(cwd, ".local/pulumi/state")}`;
    if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE)
      env.PULUMI_CONFIG_PASSPHRASE_FILE = join(cwd, "config/local-stacks.passphrase");
    this.env = env;
  }

  /** The environment every command runs with (for the env-file script too). */
  environment(): NodeJS.ProcessEnv {
    return { ...this.env };
  }

  /** Where the state is, for messages (a file backend's path; never a URL's query). */
  backend(): string {
    return String(this.env.PULUMI_BACKEND_URL).split("?")[0];
  }

  run(args: readonly string[]): Promise<CommandResult> {
    return new Promise((ok, fail) => {
      const child = spawn("pulumi", [...args, "--stack", this.stack], {
        cwd: this.cwd,
        env: this.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        output += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
      child.on("error", (err) =>
        fail(
          new Error(
            `cannot run pulumi (${(err as Error).message}): put the engine on PATH with eval "$(bash scripts/pulumi-engine.sh env)"`,
            { cause: err },
          ),
        ),
      );
      child.on("close", (code) => ok({ code: code ?? -1, output: args[0] === "stack" ? stdout : output }));
    });
  }

  /** The stack's resources, secrets in plaintext: kept in memory, never printed. */
  async resources(): Promise<StateResource[]> {
    const r = await this.run(["stack", "export", "--show-secrets"]);
    if (r.code !== 0)
      throw new Error(
        `cannot read stack "${this.stack}" from ${this.backend()}: is it up (bash scripts/up.sh ${this.stack}) and is PULUMI_BACKEND_URL the backend it was deployed to?`,
      );
    return JSON.parse(r.output).deployment?.resources ?? [];
  }

  /** The URN of the stack's migration resource; throws when the stack or the resource is not there. */
  async migrationResourceUrn(): Promise<string> {
    const found = (await this.resources()).find((r) => r.type === MIGRATIONS_TYPE);
    if (!found)
      throw new Error(
        `stack "${this.stack}" (${this.backend()}) has no migration resource in its state: run pulumi up --stack ${this.stack} first.`,
      );
    return found.urn;
  }

  /** The role's name, password, admin connection and resource names, from the state. */
  async role(role: string): Promise<RoleInState> {
    const resources = await this.resources();
    const where = `stack "${this.stack}" (${this.backend()})`;
    const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const password = resources.find(
      (r) => r.type === "random:index/randomPassword:RandomPassword" && r.urn.endsWith(`-password-${role}`),
    );
    const roleResource = resources.find(
      (r) => r.type === "postgresql:index/role:Role" && r.urn.endsWith(`-role-${role}`),
    );
    if (!root || !password || !roleResource)
      throw new Error(
        `${where} has no ${role} role and password in its state: run pulumi up --stack ${this.stack} first.`,
      );
    const providerUrn = roleResource.provider?.split("::").slice(0, -1).join("::");
    const provider = resources.find((r) => r.urn === providerUrn);
    const i = provider?.inputs ?? {};
    const admin: AdminConnection = {
      host: String(i.host),
      port: Number(i.port),
      user: String(i.username),
      password: String(reveal(i.password) ?? ""),
      database: String(i.database ?? "postgres"),
      sslMode: String(i.sslmode ?? "disable"),
    };
    return {
      server: String(root.outputs?.server),
      roleName: String(reveal(roleResource.outputs?.name)),
      passwordUrn: password.urn,
      password: String(reveal(password.outputs?.result)),
      admin,
    };
  }
}

/** Whether `cwd` looks like the project (its Pulumi.yaml), for a clear error before anything runs. */
export function isProjectDir(cwd: string): boolean {
  return existsSync(join(cwd, "Pulumi.yaml"));
}
