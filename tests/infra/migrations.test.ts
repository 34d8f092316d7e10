/**
 * The migration component under mocks: where it sits in each stack (after the database, roles and
 * privileges), how it connects (as the migrator acting as the owner, the password a secret), what it is given (every file
 * with its checksum, the predecessor's ledger), and the backup it takes on staging and prod.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MigrationsInputs } from "../../infra/migrations/contract";
import { connectionOf } from "../../infra/migrations/plugin/crud";
import { migrationFiles } from "../../src/migrate";
import {
  committedLedger,
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

const PASSWORD_FILE = join(tmpdir(), `precog-admin-password-migrations-${process.pid}`);
writeFileSync(PASSWORD_FILE, "local-admin-password\n");

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

  it("comes after the database, its roles, every privilege change and its extensions, logging in as the migrator with a secret password and acting as the owner", async () => {
    const r = await run(stack);
    const m = resource(r, p);
    const privileges = r.resources.filter((x) =>
      /^postgresql:index\/(role|grant|defaultPrivileges|extension):/.test(x.type),
    );
    expect(names(m.opts.dependsOn)).toEqual([`${p}-db`, ...privileges.map((x) => x.name)].sort());
    expect(m.opts.additionalSecretOutputs).toEqual(["connection"]);
    expect(m.opts.protect).toBe(stack === "staging" || stack === "prod");
    const aws = stack === "staging" || stack === "prod";
    const connection = secretInput(m.inputs.connection);
    expect(connection).toMatchObject({
      database: `precog_${stack}`,
      user: `precog_${stack}_migrator`,
      password: aws ? ROTATED_PASSWORD : `pw-${p}-password-migrator-plaintext`,
      ownerRole: `precog_${stack}_owner`,
      port: aws ? 5432 : 54329,
      sslMode: aws ? "verify-full" : "disable",
    });
    // It carries the owner's password: on RDS it verifies the certificate against the committed CA bundle.
    expect(connection.sslRootCert).toBe(aws ? RDS_CA_BUNDLE : undefined);
  });

  it("is given every migration file with its checksum, and the predecessor's name and ledger as what it may apply", async () => {
    const r = await run(stack);
    const m = resource(r, p).inputs;
    const files = await migrationFiles(join(ROOT, "migrations"));
    // One JSON text, in version order.
    expect(m.migrationsJson).toBe(JSON.stringify(Object.fromEntries(files.map((f) => [f.filename, f.checksum]))));
    expect(m.dir).toBe(join(ROOT, "migrations"));
    expect(m.allowed).toEqual(
      PREDECESSOR[stack] ? (await committedLedger()).map(({ version, checksum }) => ({ version, checksum })) : null,
    );
    expect(m.predecessor).toBe(PREDECESSOR[stack] ?? null);
    // What is pending the provider finds from the stack's recorded state: the one other stack read is the
    // predecessor's (the stack's own is read for the database name it deployed, infra/database/deployed-name.ts).
    expect(
      r.resources
        .filter((x) => x.type === "pulumi:pulumi:StackReference" && x.name !== `precog-${stack}-deployed`)
        .map((x) => x.inputs.name),
    ).toEqual(PREDECESSOR[stack] ? [`organization/precog/${PREDECESSOR[stack]}`] : []);
    // Under the mocks the program runs as an update: the provider lints dev's and test's files only in a preview.
    expect(m.preview).toBe(false);
  });

  it("backs up before applying on staging and prod only: an RDS snapshot of the stack's instance", async () => {
    const r = await run(stack);
    const backup = resource(r, p).inputs.backup;
    expect(backup).toEqual(
      stack === "staging" || stack === "prod"
        ? { kind: "rds-snapshot", instanceId: `precog-${stack}`, region: "us-east-1" }
        : { kind: "none" },
    );
  });
});

describe("the migration provider's connection", () => {
  const base = { host: "h", port: 5432, database: "d", user: "u", password: "p" };
  /** pg's `ssl` of the connection the provider opens for `connection`. */
  const ssl = (connection: Record<string, unknown>) =>
    (connectionOf({ connection } as unknown as MigrationsInputs) as { ssl?: unknown }).ssl;

  it("verifies the server against the RDS CA bundle it is given, and against Node's CAs without one", () => {
    expect(ssl({ ...base, sslMode: "verify-full", sslRootCert: RDS_CA_BUNDLE })).toEqual({
      rejectUnauthorized: true,
      ca: readFileSync(RDS_CA_BUNDLE, "utf8"),
    });
    expect(ssl({ ...base, sslMode: "verify-full" })).toEqual({ rejectUnauthorized: true });
    expect(ssl({ ...base, sslMode: "require" })).toEqual({ rejectUnauthorized: false });
    expect(ssl({ ...base, sslMode: "disable" })).toBe(false);
  });
});
