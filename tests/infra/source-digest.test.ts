/**
 * Pulumi runs the compiled program; it refuses to run when the sources changed after the build.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertBuildCurrent, writeStamp } from "../../infra/startup/source-digest";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function project(): string {
  const root = mkdtempSync(join(tmpdir(), "precog-digest-"));
  roots.push(root);
  for (const d of ["infra/config", "src/env", "scripts", "dist/pulumi"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "infra/index.ts"), "export {};\n");
  writeFileSync(join(root, "infra/config/keys.ts"), "export const a = 1;\n");
  writeFileSync(join(root, "src/env/defaults.ts"), "export const b = 2;\n");
  writeFileSync(join(root, "scripts/env-file.ts"), "export {};\n");
  writeFileSync(join(root, "tsconfig.json"), "{}\n");
  writeFileSync(join(root, "tsconfig.infra.json"), "{}\n");
  return root;
}

const STALE = "the compiled Pulumi program in dist/pulumi/ is older than its sources";

describe("the compiled program's freshness check", () => {
  it("passes right after a build", () => {
    const root = project();
    writeStamp(root);
    expect(() => assertBuildCurrent(root)).not.toThrow();
  });

  it.each(["infra/config/keys.ts", "src/env/defaults.ts", "tsconfig.json"])(
    "refuses after %s changed, naming the command to run",
    (file) => {
      const root = project();
      writeStamp(root);
      writeFileSync(join(root, file), "export const changed = true;\n");
      expect(() => assertBuildCurrent(root)).toThrow(STALE);
      expect(() => assertBuildCurrent(root)).toThrow("run `npm run build`");
    },
  );

  it("refuses after a source file was added, and when there was never a build", () => {
    const root = project();
    expect(() => assertBuildCurrent(root)).toThrow(STALE);
    writeStamp(root);
    writeFileSync(join(root, "infra/new.ts"), "export {};\n");
    expect(() => assertBuildCurrent(root)).toThrow(STALE);
  });

  it("takes a build without its sources beside it as it is", () => {
    const root = project();
    rmSync(join(root, "infra"), { recursive: true });
    expect(() => assertBuildCurrent(root)).not.toThrow();
  });
});
