/**
 * The migration resource's provider text (`__provider`), evaluated the way Pulumi's nodejs
 * dynamic-provider host evaluates it: as a module of its own, in the program's folder. Each method
 * must reach ./provider-impl by module path, and nothing else from the program.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { providerSource } from "../../infra/migrations/provider-entry";

type Provider = Record<
  "check" | "diff" | "create" | "update" | "read" | "delete",
  (...args: unknown[]) => Promise<unknown>
>;

/** The text compiled as a fresh module: no access to this test's scope or imports. */
function evaluate(text: string, dir: string): Provider {
  const m = new Module(join(dir, "__provider.js"));
  m.filename = join(dir, "__provider.js");
  m.paths = [];
  (m as unknown as { _compile(text: string, filename: string): void })._compile(text, m.filename);
  return (m.exports as { handler(): Provider }).handler();
}

describe("the migration resource's provider text", () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = mkdtempSync(join(tmpdir(), "precog-provider-"));
    mkdirSync(join(dir, "migrations"));
    // A provider-impl that answers with the method's name and arguments.
    writeFileSync(
      join(dir, "migrations", "provider-impl.js"),
      ["diff", "create", "update", "read"]
        .map((f) => `exports.${f} = async (...a) => ({ method: "${f}", a });`)
        .join("\n"),
    );
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("delegates each method to migrations/provider-impl.js in the provider's folder", async () => {
    const p = evaluate(providerSource(), dir);
    expect(await p.check({ old: 1 }, { new: 2 })).toEqual({ inputs: { new: 2 } });
    expect(await p.diff("id", { o: 1 }, { n: 2 })).toEqual({ method: "diff", a: [{ o: 1 }, { n: 2 }] });
    expect(await p.create({ n: 2 })).toEqual({ method: "create", a: [{ n: 2 }] });
    expect(await p.update("id", { o: 1 }, { n: 2 })).toEqual({ method: "update", a: [{ o: 1 }, { n: 2 }] });
    expect(await p.read("id", { p: 3 })).toEqual({ method: "read", a: ["id", { p: 3 }] });
    expect(await p.delete("id", {})).toBeUndefined();
  });

  it("carries no value from the program: the text is the same whatever the stack", () => {
    expect(providerSource()).not.toMatch(/password|postgres:\/\/|precog_/i);
    expect(providerSource()).toMatch(/^exports\.handler = function handler\(\)/);
  });
});
