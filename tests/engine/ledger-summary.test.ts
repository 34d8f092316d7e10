/**
 * The ledger summary (src/migrate/ledger-summary.ts) through the real Pulumi CLI, with the
 * owned-parts program (./owned-program.ts) inline, on dev and test in one file backend: test's gate
 * reads dev's `migrations` output, a summary, through a StackReference, and applies what dev applied
 * with the same checksums, refusing by name a file changed since dev applied it (read from the
 * summary's list of the newest) and one dev lacks; and stacks deployed with a former shape, put
 * there with `pulumi stack import`, move to the summary in one `up` each, the migration resource
 * updated in place, never replaced: the summary with the whole ledger's text and the files' JSON
 * in the inputs, and before it the resource's ledger as JSON text and the `migrations` output the
 * whole ledger value by value.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationFiles } from "../../src/migrate";
import { sha256 } from "../../src/migrate/hash";
import { withAdmin } from "../../testbed/probes";
import type { ExportedDocument, ExportedResource, InlineProgram, InlineProject, StateResource } from "./inline-project";
import { appliedOf, appliedVersions, MIGRATIONS_TYPE } from "./owned-program";
import { type StacksOnCluster, stacksOnCluster } from "./stacks-on-cluster";

const MINUTES = 60_000;
const STACKS = ["dev", "test"] as const;
type StackName = (typeof STACKS)[number];
const NOTES = "0006_market_notes.sql";
const AUDIT = "0007_order_audit.sql";
let onCluster: StacksOnCluster<StackName>;
let project: InlineProject;
let programs: Record<StackName, InlineProgram>;

const up = (stack: StackName) => project.up(stack, programs[stack]);
const file = (name: string) => join(project.dir, "migrations", name);
const addMigration = (name: string, up: string) =>
  writeFileSync(file(name), `-- migrate:up\n${up}\n\n-- migrate:down\nSELECT 1;\n`);
/** precog_migrations.history as the former `migrations` output listed it. */
const ledgerOf = (stack: StackName) =>
  withAdmin(
    async (c) =>
      (
        await c.query(
          "select version::text as version, name, checksum, applied_at, applied_by from precog_migrations.history order by precog_migrations.history.version",
        )
      ).rows.map((r) => ({
        version: r.version as string,
        name: r.name as string,
        checksum: r.checksum as string,
        appliedAt: new Date(r.applied_at).toISOString(),
        appliedBy: r.applied_by as string,
      })),
    `precog_${stack}`,
  );
const versions = async (stack: StackName) => appliedVersions((await project.outputs(stack)).migrations);
/** How many resources a run updated, when it created, replaced and deleted none (else -1). */
const onlyUpdated = (changes: Readonly<Record<string, number>>) =>
  Object.keys(changes).every((k) => ["same", "read", "update"].includes(k)) ? (changes.update ?? 0) : -1;
const migrationResource = async (stack: StackName): Promise<StateResource> =>
  (await project.resourcesOf(stack, MIGRATIONS_TYPE))[0];

beforeAll(async () => {
  onCluster = await stacksOnCluster(STACKS);
  ({ project, programs } = onCluster);
}, 20 * MINUTES);

afterAll(() => onCluster?.close());

describe.sequential("the ledger summary through the real engine", () => {
  it(
    "test applies what dev applied with the same checksums, by dev's summary; the outputs are summaries",
    async () => {
      for (const stack of STACKS) {
        const r = await up(stack);
        expect([stack, r.ok]).toEqual([stack, true]);
        expect(await versions(stack)).toEqual(["1", "2", "3", "4", "5"]);
      }
      const [dev, test] = [(await project.outputs("dev")).migrations, (await project.outputs("test")).migrations];
      expect(test).toEqual(dev);
      expect(dev).toEqual({
        count: 5,
        newest: "5",
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        recent: expect.stringMatching(
          /^1 [0-9a-f]{64}\n2 [0-9a-f]{64}\n3 [0-9a-f]{64}\n4 [0-9a-f]{64}\n5 [0-9a-f]{64}$/,
        ),
        olderDigest: sha256(""),
      });
      // The resource's state keeps the same summary; its inputs the files' digest, and no copy of the predecessor's ledger.
      const resource = await migrationResource("test");
      expect(resource.outputs?.applied).toEqual(test);
      const { count, newest, digest } = dev as { count: number; newest: string; digest: string };
      expect(resource.inputs?.files).toEqual({ count, newest, digest });
      expect(resource.inputs?.predecessorApplied).toEqual({ newest: "5", differs: {} });
      expect(JSON.stringify(resource.inputs)).not.toContain((dev as { recent: string }).recent.split("\n")[0]);
    },
    15 * MINUTES,
  );

  it(
    "test refuses a file changed since dev applied it (from dev's text) and one dev lacks, naming each; then applies what dev has",
    async () => {
      addMigration(NOTES, "ALTER TABLE markets ADD COLUMN notes text;");
      expect((await up("dev")).ok).toBe(true);
      const devSum = appliedOf((await project.outputs("dev")).migrations).find((e) => e.version === "6")?.checksum;
      const applied = readFileSync(file(NOTES), "utf8");
      writeFileSync(file(NOTES), applied.replace("notes text", "notes varchar(200)"));
      addMigration(AUDIT, "CREATE TABLE order_audit (id bigint);");
      const refused = await up("test");
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain(
        'Refusing to apply migrations on stack "test": the stack before it, "dev", must apply each first (dev -> test -> staging -> prod):',
      );
      expect(refused.output).toMatch(
        new RegExp(
          `6_market_notes\\.sql \\(checksum [0-9a-f]{12}\\): stack "dev" applied version 6 with checksum ${devSum?.slice(0, 12)}; the file changed since`,
        ),
      );
      expect(refused.output).toMatch(
        /7_order_audit\.sql \(checksum [0-9a-f]{12}\): stack "dev" has not applied it; stack "test" lacks it until "dev" does/,
      );
      expect(refused.output).toContain('Deploy "dev" first (pulumi up --stack dev), then this stack.');
      expect((await ledgerOf("test")).map((e) => e.version)).toEqual(["1", "2", "3", "4", "5"]);

      writeFileSync(file(NOTES), applied);
      rmSync(file(AUDIT));
      expect((await up("test")).ok).toBe(true);
      expect(await versions("test")).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    15 * MINUTES,
  );

  it(
    "stacks with the summary's whole text and the files' JSON (before the digest) move to the summary in one up each, in place",
    async () => {
      const before: Record<string, StateResource> = {};
      for (const stack of STACKS) {
        before[stack] = await migrationResource(stack);
        await importWholeTextShape(stack);
        const former = await migrationResource(stack);
        expect(former.outputs?.applied).toHaveProperty("applied");
        expect(former.inputs?.migrationsJson).toEqual(expect.any(String));
      }
      await expectMovedInOneUpEach(before, (after) => after.inputs?.migrationsJson);
    },
    15 * MINUTES,
  );

  it(
    "stacks with the former state and outputs (the ledger whole) move to the summary in one up each, the resource updated in place",
    async () => {
      const before: Record<string, StateResource> = {};
      for (const stack of STACKS) {
        before[stack] = await migrationResource(stack);
        await importFormerShape(stack);
        const former = await migrationResource(stack);
        expect(former.outputs?.applied).toBeUndefined();
        expect(JSON.parse(former.outputs?.ledgerJson as string)).toEqual(await ledgerOf(stack));
        expect((await project.outputs(stack)).migrations).toEqual(await ledgerOf(stack));
      }

      await expectMovedInOneUpEach(before, (after) => after.outputs?.ledgerJson);
      for (const stack of STACKS)
        expect((await ledgerOf(stack)).map((e) => e.version)).toEqual(["1", "2", "3", "4", "5", "6"]);
    },
    15 * MINUTES,
  );

  it(
    "stacks as deployed when the summary was asked for (the migrator's password in the resource's inputs and state) move in one up each: the password then in the provider's config alone",
    async () => {
      const before: Record<string, StateResource> = {};
      const passwords: Record<string, string> = {};
      for (const stack of STACKS) {
        before[stack] = await migrationResource(stack);
        passwords[stack] = await importAsFiledShape(stack);
        const former = await migrationResource(stack);
        expect(former.inputs?.login).toBeUndefined();
        expect(former.inputs?.connection).toMatchObject({ user: expect.any(String), password: expect.any(Object) });
        expect(former.outputs?.connection).toMatchObject({ password: expect.any(Object) });
        expect([former.inputs?.preview, typeof former.inputs?.migrationsJson]).toEqual([false, "string"]);
        const imported = await project.exportDocument(stack, { showSecrets: true });
        expect(JSON.stringify(resourceIn(imported, MIGRATIONS_TYPE))).toContain(passwords[stack]);
        expect(resourceIn(imported, PROVIDER_TYPE).inputs?.migratorPassword).toBeUndefined();
      }

      await expectMovedInOneUpEach(before, (after) => after.outputs?.connection ?? after.inputs?.connection, 2);
      for (const stack of STACKS) {
        const after = await migrationResource(stack);
        expect(after.inputs?.login).toEqual(before[stack].inputs?.login);
        expect(after.outputs?.login).toEqual(before[stack].outputs?.login);
        for (const key of ["migrationsJson", "allowed", "preview"]) expect(after.inputs).not.toHaveProperty(key);
        // In clear as the engine decrypts the state: the password is in the provider's config alone.
        const state = await project.exportDocument(stack, { showSecrets: true });
        const provider = JSON.stringify(resourceIn(state, PROVIDER_TYPE));
        expect(provider).toContain(passwords[stack]);
        expect(JSON.stringify(resourceIn(state, MIGRATIONS_TYPE))).not.toContain(passwords[stack]);
        expect(JSON.stringify(state).split(passwords[stack]).length).toBe(provider.split(passwords[stack]).length);
      }
    },
    15 * MINUTES,
  );
});

/**
 * Stacks imported in a former shape move in one up each, test first (while dev's output is still
 * former: its gate reads that too): the migration resource updated in place (with its provider when
 * the shape's provider had no config: `updates` 2), `former` (what the shape had) gone, the state
 * and the output the summary `before` had; then a preview is quiet.
 */
async function expectMovedInOneUpEach(
  before: Record<string, StateResource>,
  former: (after: StateResource) => unknown,
  updates = 1,
): Promise<void> {
  const preview = await project.preview("test", programs.test, { diff: true });
  expect([preview.ok, onlyUpdated(preview.changes)]).toEqual([true, updates]);
  for (const stack of ["test", "dev"] as const) {
    const r = await up(stack);
    expect([stack, r.ok, onlyUpdated(r.changes)]).toEqual([stack, true, updates]);
    const after = await migrationResource(stack);
    expect(after.urn).toBe(before[stack].urn);
    expect(former(after)).toBeUndefined();
    expect(after.outputs?.applied).toEqual(before[stack].outputs?.applied);
    expect((await project.outputs(stack)).migrations).toEqual(before[stack].outputs?.applied);
  }
  for (const stack of STACKS) {
    const quiet = await project.preview(stack, programs[stack], { expectNoChanges: true });
    expect([stack, quiet.ok, onlyUpdated(quiet.changes)]).toEqual([stack, true, 0]);
  }
}

/** The summary as stacks deployed before it listed the newest alone recorded it: with the whole text. */
function wholeText(ledger: readonly { version: string; checksum: string }[]) {
  const applied = ledger.map((e) => `${e.version} ${e.checksum}`).join("\n");
  return { count: ledger.length, newest: ledger.at(-1)?.version ?? null, digest: sha256(applied), applied };
}

/**
 * Rewrites `stack`'s state into the shape stacks deployed before the files' digest have, and
 * imports it: the summaries (the resource's, the `migrations` output, the StackReference's copy of
 * dev's) with the whole ledger's text, the files in the inputs as one JSON text.
 */
async function importWholeTextShape(stack: StackName): Promise<void> {
  const exported = await project.exportDocument(stack);
  const [ledger, devLedger] = [wholeText(await ledgerOf(stack)), wholeText(await ledgerOf("dev"))];
  const r = resourceIn(exported, MIGRATIONS_TYPE);
  r.outputs = { ...r.outputs, applied: ledger };
  const { files: _, ...inputs } = r.inputs;
  r.inputs = { ...inputs, migrationsJson: await filesJson() };
  await importWithOutputs(stack, exported, ledger, devLedger);
}

/**
 * Rewrites `stack`'s state into the shape stacks deployed before the summary have, and imports it:
 * the migration resource's ledger as JSON text (`ledgerJson`) and the predecessor's ledger as its
 * `allowed` input, the `migrations` output (and the StackReference's copy of dev's) the whole ledger.
 */
async function importFormerShape(stack: StackName): Promise<void> {
  const exported = await project.exportDocument(stack);
  const [ledger, devLedger] = [await ledgerOf(stack), await ledgerOf("dev")];
  const r = resourceIn(exported, MIGRATIONS_TYPE);
  const { applied: _, ...outputs } = r.outputs;
  r.outputs = { ...outputs, ledgerJson: JSON.stringify(ledger) };
  const { predecessorApplied, ...inputs } = r.inputs;
  r.inputs = { ...inputs, allowed: allowedOf(predecessorApplied, devLedger) };
  await importWithOutputs(stack, exported, ledger, devLedger);
}

/**
 * Rewrites `stack`'s state into the shape stacks had when the summary was asked for, and imports
 * it: the migration resource's inputs and state with the connection, the migrator's password in it
 * (a secret), every file's checksum as JSON text, the predecessor's whole ledger (`allowed`) and the
 * preview flag; its ledger as JSON text; the provider without config; the `migrations` output (and
 * the StackReference's copy of dev's) the whole ledger. Returns the password, as the engine decrypts it.
 */
async function importAsFiledShape(stack: StackName): Promise<string> {
  const exported = await project.exportDocument(stack, { showSecrets: true });
  const [ledger, devLedger] = [await ledgerOf(stack), await ledgerOf("dev")];
  const provider = resourceIn(exported, PROVIDER_TYPE);
  const secret = provider.inputs.migratorPassword as { plaintext: string };
  const { migratorPassword: _, ...providerInputs } = provider.inputs;
  const { migratorPassword: __, ...providerOutputs } = provider.outputs;
  provider.inputs = providerInputs;
  provider.outputs = providerOutputs;
  const r = resourceIn(exported, MIGRATIONS_TYPE);
  const { login, files: ___, predecessorApplied, ...inputs } = r.inputs;
  const { kind: ____, ...target } = login as Record<string, unknown>;
  const connection = { ...target, password: secret };
  r.inputs = {
    ...inputs,
    connection,
    migrationsJson: await filesJson(),
    allowed: allowedOf(predecessorApplied, devLedger),
    preview: false,
  };
  const { applied: _____, login: ______, ...outputs } = r.outputs;
  r.outputs = { ...outputs, connection, ledgerJson: JSON.stringify(ledger) };
  await importWithOutputs(stack, exported, ledger, devLedger);
  return JSON.parse(secret.plaintext) as string;
}

/** The migration provider's resource type. */
const PROVIDER_TYPE = "pulumi:providers:precog-migrations";

function resourceIn(exported: ExportedDocument, type: string): ExportedResource {
  const found = exported.deployment.resources.find((r) => r.type === type);
  if (!found) throw new Error(`no ${type} in the state`);
  return found;
}

/** Every file's checksum, as the inputs carried them before the files' digest: one JSON text. */
async function filesJson(): Promise<string> {
  const files = await migrationFiles(join(project.dir, "migrations"), false);
  return JSON.stringify(Object.fromEntries(files.map((f) => [f.filename, f.checksum])));
}

/** The predecessor's whole ledger as the former `allowed` input: none for dev. */
function allowedOf(predecessorApplied: unknown, devLedger: readonly { version: string; checksum: string }[]) {
  return predecessorApplied === null ? null : devLedger.map(({ version, checksum }) => ({ version, checksum }));
}

/**
 * Imports `exported` as `stack`'s state with its `migrations` output, and the StackReference's copy
 * of dev's, replaced by `migrations` and `devMigrations` (the shape being imported).
 */
async function importWithOutputs(
  stack: StackName,
  exported: ExportedDocument,
  migrations: unknown,
  devMigrations: unknown,
): Promise<void> {
  for (const r of exported.deployment.resources) {
    if (r.type === "pulumi:pulumi:Stack") r.outputs = { ...r.outputs, migrations };
    else if (r.type === "pulumi:pulumi:StackReference") {
      const outputs = r.outputs.outputs as Record<string, unknown>;
      r.outputs = { ...r.outputs, outputs: { ...outputs, migrations: devMigrations } };
    }
  }
  await project.importDocument(stack, exported);
}
