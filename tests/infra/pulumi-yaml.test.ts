/**
 * Pulumi.yaml declares exactly the keys the program reads (infra/config/schema.ts), with the same
 * types, descriptions (listing the structured keys' fields) and defaults, and the stack files
 * agree with the brief's environment table.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderConfigBlock } from "../../scripts/render-pulumi-yaml";
import { ENVIRONMENT_DEFAULTS } from "../../src/env/defaults";
import { ROOT, STACKS } from "./harness";

const load = (file: string) => parse(readFileSync(resolve(ROOT, file), "utf8"));

describe("Pulumi.yaml", () => {
  it("declares every key of infra/config/schema.ts, and only those", () => {
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

describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
  const config = load(`Pulumi.${stack}.yaml`).config;
  const expected = ENVIRONMENT_DEFAULTS[stack];

  it("matches the brief's table", () => {
    expect({
      environment: config["precog:environment"],
      database: config["precog:database"],
      appRole: config["precog:roles"].app.name,
      poolMin: config["precog:pool"].min,
      poolMax: config["precog:pool"].max,
      server: "precog:rds" in config ? "aws" : "local",
    }).toEqual({
      environment: stack,
      database: expected.database,
      appRole: expected.appRole,
      poolMin: expected.poolMin,
      poolMax: expected.poolMax,
      server: expected.server,
    });
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
