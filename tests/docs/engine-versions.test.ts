/**
 * The Pulumi versions the docs tell users to install are the ones package-lock.json locks: every
 * `--version X` of the installer and every `pulumi plugin install resource NAME X` in README.md and
 * docs/pulumi-engine.md, so that a bump of the lock that forgets the docs fails here.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages;
const locked = (name: string) => lock[`node_modules/${name}`].version as string;

describe.each(["README.md", "docs/pulumi-engine.md"])("%s's install commands", (file) => {
  const text = readFileSync(join(ROOT, file), "utf8");

  it("install the CLI at the version of @pulumi/pulumi", () => {
    const versions = [...text.matchAll(/get\.pulumi\.com \| sh -s -- --version (\d[\w.-]*)/g)].map((m) => m[1]);
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set([locked("@pulumi/pulumi")]));
  });

  it("install each plugin at the version of its npm package", () => {
    const installs = [...text.matchAll(/pulumi plugin install resource (\w+) (\d[\w.-]*)/g)];
    expect(installs.length).toBeGreaterThan(1);
    for (const [, name, version] of installs) expect([name, version]).toEqual([name, locked(`@pulumi/${name}`)]);
  });
});
