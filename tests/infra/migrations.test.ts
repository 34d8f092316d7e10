/**
 * The migration component under mocks: where it sits in each stack (after the database, roles and
 * privileges), how it logs in (as the migrator acting as the owner; where its password is, never the
 * password), what it is given (every file with its checksum, the predecessor's ledger), and the
 * backup it takes on staging and prod.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MigrationsLogin } from "../../infra/migrations/contract";
import { connectionOf, providerConfig } from "../../infra/migrations/plugin/login";
import { migrationFiles } from "../../src/migrate";
import { sha256 } from "../../src/migrate/hash";
import { adminPasswordFile } from "../helpers/password-file";
import {
  committedSummary,
  RDS_CA_BUNDLE,
  type Recorded,
  ROOT,
  ROTATED_PASSWORD,
  type Run,
  runStack,
  STACKS,
  type Stack,
  secretInput,
} from "./harness";

const PASSWORD_FILE = adminPasswordFile();

function run(stack: Stack): Promise<Run> {
  return runStack(stack, {
    config: stack === "dev" || stack === "test" ? { "precog:local.adminPasswordFile": PASSWORD_FILE } : {},
    vars: stack === "prod" ? { PRECOG_PROD_CONFIRMED: "yes", USER: "ops-alice" } : {},
  });
}

const PREDECESSOR: Record<Stack, string | undefined> = {
  dev: undefined,
  test: "dev",
  staging: "test",
  prod: "staging",
};
/** The dynamic resource (the component of the same name is its parent). */
const resource = (r: Run, p: string): Recorded => {
  const hit = r.resources.find((x) => x.type === "precog-migrations:index:Migrations" && x.name === `${p}-migrations`);
  if (!hit) throw new Error(`no migration resource ${p}-migrations`);
  return hit;
};
const names = (deps: unknown) => ((deps ?? []) as { __name?: string }[]).map((d) => d.__name).sort();

describe.each(STACKS)("the migration component on %s", (stack) => {
  const p = `precog-${stack}`;

  it("comes after the database, its roles, every privilege change and its extensions, logging in as the migrator and acting as the owner, no credential in its inputs", async () => {
    const r = await run(stack);
    const m = resource(r, p);
    const privileges = r.resources.filter((x) =>
      /^postgresql:index\/(role|grant|defaultPrivileges|extension):/.test(x.type),
    );
    expect(names(m.opts.dependsOn)).toEqual([`${p}-db`, ...privileges.map((x) => x.name)].sort());
    expect(m.opts.protect).toBe(stack === "staging" || stack === "prod");
    const aws = stack === "staging" || stack === "prod";
    const target = {
      host: aws ? `${p}-server-instance.abc123.us-east-1.rds.amazonaws.com` : "127.0.0.1",
      port: aws ? 5432 : 54329,
      database: `precog_${stack}`,
      user: `precog_${stack}_migrator`,
      ownerRole: `precog_${stack}_owner`,
      sslMode: aws ? "verify-full" : "disable",
    };
    // Where the password is, in plain inputs: on RDS an IAM token the plugin signs (the migrator
    // has no password there; the certificate checked against the committed CA bundle); on a local
    // server the provider's config.
    expect(m.inputs.login).toEqual(
      aws
        ? { kind: "aws-iam", region: "us-east-1", ...target, sslRootCert: RDS_CA_BUNDLE }
        : { kind: "provider-config", ...target },
    );
    const inputs = JSON.stringify(m.inputs);
    for (const password of [ROTATED_PASSWORD, `pw-${p}-password-migrator-plaintext`])
      expect(inputs).not.toContain(password);
    // The provider: no config on RDS; on a local server the stack's generated password, a secret.
    const provider = r.resources.filter((x) => x.type === "pulumi:providers:precog-migrations");
    expect(provider.map((x) => x.name)).toEqual([`${p}-migrations-provider`]);
    if (aws) expect(provider[0].inputs).toEqual({});
    else expect(secretInput(provider[0].inputs.migratorPassword)).toBe(`pw-${p}-password-migrator-plaintext`);
  });

  it("is given the files' digest, and the predecessor's name and what it applied of them", async () => {
    const r = await run(stack);
    const m = resource(r, p).inputs;
    const files = await migrationFiles(join(ROOT, "migrations"));
    // Count, newest and digest of every version and checksum: three values whatever the history's length.
    expect(m.files).toEqual({
      count: files.length,
      newest: files.at(-1)?.version,
      digest: sha256(files.map((f) => `${f.version} ${f.checksum}`).join("\n")),
    });
    expect(m.dir).toBe(join(ROOT, "migrations"));
    // The predecessor applied every committed file as it is: its summary settles it, nothing differs.
    const newest = (await committedSummary()).newest;
    expect(m.predecessorApplied).toEqual(PREDECESSOR[stack] ? { newest, differs: {} } : null);
    expect(m.predecessor).toBe(PREDECESSOR[stack] ?? null);
    // What is pending the provider finds from the stack's recorded state: the one other stack read is the
    // predecessor's (the stack's own is read for the database name it deployed, infra/database/deployed-name.ts).
    expect(
      r.resources
        .filter((x) => x.type === "pulumi:pulumi:StackReference" && x.name !== `precog-${stack}-deployed`)
        .map((x) => x.inputs.name),
    ).toEqual(PREDECESSOR[stack] ? [`organization/precog/${PREDECESSOR[stack]}`] : []);
    // Nothing in the inputs differs between a preview and the up after it (a saved plan must match).
    expect(Object.keys(m).sort()).toEqual([
      "backup",
      "dir",
      "environment",
      "files",
      "login",
      "operator",
      "predecessor",
      "predecessorApplied",
    ]);
  });

  it("backs up before applying on staging and prod only: an RDS snapshot of the stack's instance", async () => {
    const r = await run(stack);
    const backup = resource(r, p).inputs.backup;
    expect(backup).toEqual(
      stack === "staging" || stack === "prod"
        ? { kind: "rds-snapshot", instanceId: `precog-${stack}`, region: "us-east-1", keepLast: 10, keepDays: 0 }
        : { kind: "none" },
    );
  });
});

describe("the migration provider's connection", () => {
  const base = { kind: "provider-config" as const, host: "h", port: 5432, database: "d", user: "u" };
  /** pg's `ssl` of the connection the provider opens for `login`. */
  const ssl = async (login: Omit<MigrationsLogin, "kind"> & { kind: "provider-config" }) => {
    providerConfig.current = { migratorPassword: "p" };
    return ((await connectionOf({ login })) as { ssl?: unknown }).ssl;
  };

  it("verifies the server against the RDS CA bundle it is given, and against Node's CAs without one", async () => {
    expect(await ssl({ ...base, sslMode: "verify-full", sslRootCert: RDS_CA_BUNDLE })).toEqual({
      rejectUnauthorized: true,
      ca: readFileSync(RDS_CA_BUNDLE, "utf8"),
    });
    expect(await ssl({ ...base, sslMode: "verify-full" })).toEqual({ rejectUnauthorized: true });
    expect(await ssl({ ...base, sslMode: "require" })).toEqual({ rejectUnauthorized: false });
    expect(await ssl({ ...base, sslMode: "disable" })).toBe(false);
  });
});
