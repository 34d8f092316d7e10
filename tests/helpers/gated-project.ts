/**
 * A Pulumi project folder for the command line's stack-order gate without deploying anything: a
 * Pulumi.yaml, `Pulumi.<stack>.yaml` naming its predecessor, and (unless `ledger` is undefined, a
 * predecessor never deployed) the predecessor's state in a file backend of its own, holding a
 * `migrations` output put there with `pulumi stack import`: the ledger's summary, or (`shape`
 * "list") the whole ledger as stacks deployed before the summary have it. The command reads it with the real
 * Pulumi CLI, as it reads a deployed stack.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrationFiles, summaryOf } from "../../src/migrate";
import { findEngine } from "../../testbed/pulumi-project";

export interface GatedProject {
  /** The project's folder: run precog-db there. */
  readonly cwd: string;
  /** What precog-db needs to reach the backend: PATH with the engine, backend, passphrase. */
  readonly env: Record<string, string>;
  remove(): void;
}

const PULUMI_VERSION = "v3.248.0";

/** `ledger`: the predecessor's applied migrations; "files" takes every file of `dir` as applied. */
export async function gatedProject(
  stack: string,
  predecessor: string,
  ledger: "files" | { version: string; checksum: string }[] | undefined,
  dir?: string,
  shape: "summary" | "list" = "summary",
): Promise<GatedProject> {
  const base = mkdtempSync(join(tmpdir(), "precog-gated-"));
  const cwd = join(base, "project");
  mkdirSync(join(base, "state"));
  mkdirSync(cwd);
  writeFileSync(join(cwd, "Pulumi.yaml"), "name: precog\nruntime: nodejs\n");
  writeFileSync(join(cwd, `Pulumi.${stack}.yaml`), `config:\n  precog:migrations: { predecessor: ${predecessor} }\n`);
  const engine = await findEngine();
  const env: Record<string, string> = {
    PATH: `${engine.binDir}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${join(base, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "gated-project",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  const pulumi = (args: string[]) =>
    new Promise<void>((ok, fail) =>
      execFile("pulumi", args, { cwd, env: { ...process.env, ...env } }, (err, _out, stderr) =>
        err ? fail(new Error(`pulumi ${args.join(" ")}: ${stderr}`)) : ok(),
      ),
    );
  await pulumi(["stack", "init", stack]);
  if (ledger !== undefined) {
    const entries =
      ledger === "files"
        ? (await migrationFiles(dir ?? ".", false)).map(({ version, checksum }) => ({ version, checksum }))
        : ledger;
    const migrations =
      shape === "summary"
        ? summaryOf(entries)
        : entries.map((e) => ({
            ...e,
            name: `m${e.version}`,
            appliedAt: "2026-12-01T00:00:00.000Z",
            appliedBy: "gated-project",
          }));
    const deployment = {
      version: 3,
      deployment: {
        manifest: {
          time: new Date().toISOString(),
          magic: createHash("sha256").update(PULUMI_VERSION).digest("hex"),
          version: PULUMI_VERSION,
        },
        resources: [
          {
            urn: `urn:pulumi:${predecessor}::precog::pulumi:pulumi:Stack::precog-${predecessor}`,
            custom: false,
            type: "pulumi:pulumi:Stack",
            outputs: { migrations },
          },
        ],
      },
    };
    const file = join(base, "deployment.json");
    writeFileSync(file, JSON.stringify(deployment));
    await pulumi(["stack", "init", predecessor]);
    await pulumi(["stack", "import", "--stack", predecessor, "--file", file]);
  }
  return { cwd, env, remove: () => rmSync(base, { recursive: true, force: true }) };
}
