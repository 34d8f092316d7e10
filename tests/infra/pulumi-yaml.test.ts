/**
 * Pulumi.yaml declares exactly the keys the program reads (src/config/schema.ts), with the same
 * types, descriptions (listing the structured keys' fields) and defaults, and each stack file
 * names its own environment, reads through the config schema and keeps its secrets encrypted.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderConfigBlock } from "../../scripts/render-pulumi-yaml";
import { rawConfigOf } from "../../src/config/stack-file";
import { ROOT, STACKS, stackConfig } from "./harness";

const load = (file: string) => parse(readFileSync(resolve(ROOT, file), "utf8"));

describe("Pulumi.yaml", () => {
  it("declares every key of src/config/schema.ts, and only those", () => {
    expect(load("Pulumi.yaml").config).toEqual(renderConfigBlock());
  });
  it("runs the compiled program, without a TypeScript loader", () => {
    const project = load("Pulumi.yaml");
    expect([project.name, project.main, project.runtime]).toEqual([
      "precog",
      "dist/pulumi/infra/index.js",
      { name: "nodejs", options: { typescript: false } },
    ]);
  });
});

describe("the local stacks' passphrase salt", () => {
  it("is one for dev and test: test reads dev's outputs on every run, and Pulumi derives a key once per salt", () => {
    const salts = ["dev", "test"].map((stack) => load(`Pulumi.${stack}.yaml`).encryptionsalt);
    expect(salts[0]).toMatch(/^v1:/);
    expect(salts[1]).toBe(salts[0]);
  });
});

describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
  const config = load(`Pulumi.${stack}.yaml`).config;

  it("names its own environment, and is read by the committed-stack reader as the CLI hands it over", () => {
    const raw = rawConfigOf(readFileSync(resolve(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    expect(raw.values.environment).toBe(stack);
    const handedOver = Object.fromEntries(
      Object.entries(stackConfig(stack))
        .filter(([k]) => k.startsWith("precog:") && k in config)
        .map(([k, v]) => [k.slice("precog:".length), v]),
    );
    expect(raw.values).toEqual(handedOver);
  });

  it("holds no plaintext secret, at any depth", () => {
    const check = (path: string, value: unknown): void => {
      if (/password|secret|token/i.test(path.split(/[:.]/).pop()!) && !/Arn$|File$/.test(path))
        expect([path, value]).toEqual([path, { secure: expect.any(String) }]);
      else if (value && typeof value === "object" && !("secure" in value))
        for (const [k, v] of Object.entries(value)) check(`${path}.${k}`, v);
    };
    for (const [key, value] of Object.entries<unknown>(config)) check(key, value);
  });
});
