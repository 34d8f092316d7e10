/**
 * The README is a map, and a map must be true: at most 150 lines; every path it names exists; every
 * config key it names is in the config schema; every `precog-db`, `npm` and `bash scripts/…`
 * command it shows parses against that command's usage; and every import rule it states holds in
 * the import graph of the tree. A move, a rename or a new import that breaks one fails here until
 * the README follows.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMON, USAGE, VERBS } from "../../src/cli/verbs";
import { CONFIG_SCHEMA, SECRET_KEYS } from "../../src/config/schema";
import { ENVIRONMENTS } from "../../src/env/environment";

const ROOT = join(__dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The text of every code span and block. */
const code = [...README.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0].replace(/^`+|`+$/g, ""));

/** A path as the README writes it, with `<stack>` / `<env>` standing for each environment. */
function expand(path: string): string[] {
  return /<(stack|env)>/.test(path) ? ENVIRONMENTS.map((e) => path.replace(/<(stack|env)>/g, e)) : [path];
}

describe("README.md", () => {
  it("is a map: at most 150 lines", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(150);
  });

  it("names only paths that exist", () => {
    const spans = code.filter((c) => /^[.\w<>-]+(\/[.\w<>-]*)+$|^(Pulumi|\.env)[.\w<>]*$/.test(c));
    const links = [...README.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^\w+:/.test(l));
    // Build output and the files scripts/up.sh writes are named, not committed.
    const generated = /^(dist\/|\.env\.(dev|test)$)/;
    const paths = [...new Set([...spans, ...links])].filter((p) => !generated.test(p));
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths.flatMap(expand)) expect([p, existsSync(join(ROOT, p))]).toEqual([p, true]);
  });

  it("names only config keys of the schema", () => {
    const keys = [...new Set([...README.matchAll(/\bprecog:([a-zA-Z]+(?:\.[a-zA-Z]+)*)/g)].map((m) => m[1]))];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const [top, ...rest] = key.split(".");
      let spec: unknown = (CONFIG_SCHEMA as Record<string, unknown>)[top] ?? (top in SECRET_KEYS ? {} : undefined);
      for (const f of rest) spec = (spec as { fields?: Record<string, unknown> } | undefined)?.fields?.[f];
      expect([key, spec !== undefined]).toEqual([key, true]);
    }
  });

  it("shows precog-db verbs with the options each takes", () => {
    for (const c of code)
      for (const m of c.matchAll(/precog-db\s+([a-z-]+)([^|;&\n]*)/g)) {
        expect(Object.keys(VERBS)).toContain(m[1]);
        for (const o of m[2].matchAll(/(?:^|\s)--([a-z-]+)/g))
          expect([...VERBS[m[1]].options, ...COMMON]).toContain(o[1]);
        expect(USAGE).toContain(`  ${VERBS[m[1]].synopsis}`);
      }
  });

  it("shows npm commands that package.json has", () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    const calls = code.flatMap((c) => [...c.matchAll(/\bnpm (run ([\w:-]+)|test|ci)\b/g)]);
    expect(calls.length).toBeGreaterThan(0);
    for (const m of calls) {
      const name = m[2] ?? m[1];
      if (name !== "ci") expect(Object.keys(scripts)).toContain(name);
    }
  });

  it("shows scripts with arguments their usage takes", () => {
    const calls = code.flatMap((c) => [...c.matchAll(/\bbash (scripts\/[\w-]+\.sh)((?: +[\w-]+)*)/g)]);
    expect(calls.map((m) => m[1])).toEqual(expect.arrayContaining(["scripts/up.sh", "scripts/test.sh"]));
    for (const [, script, args] of calls) {
      const text = readFileSync(join(ROOT, script), "utf8");
      for (const arg of args.trim().split(/ +/).filter(Boolean)) {
        const word = new RegExp(`(^|[\\s|(\\[])${arg}([\\s|)\\]]|$)`, "m");
        expect([script, arg, word.test(text)]).toEqual([script, arg, true]);
      }
    }
  });

  it("states import rules that the import graph keeps", () => {
    const section = README.slice(README.indexOf("Imports go one way"));
    const rules = [...section.matchAll(/^- (`[^`]+`(?:, `[^`]+`)*(?: → `[^`]+`(?:, `[^`]+`)*)+)$/gm)].map((m) =>
      m[1].split(" → ").map((part) => [...part.matchAll(/`([^`]+)`/g)].map((p) => p[1])),
    );
    expect(rules.length).toBeGreaterThan(3);
    const graph = importGraph();
    const under = (file: string, place: string) =>
      file === place || file.startsWith(place.endsWith("/") ? place : `${place}/`);
    const imports = (from: string[], to: string[]) =>
      graph.filter(
        ([a, b]) => from.some((f) => under(a, f)) && to.some((t) => under(b, t)) && !from.some((f) => under(b, f)),
      );
    for (const chain of rules)
      for (let i = 0; i + 1 < chain.length; i++) {
        const [from, to] = [chain[i], chain[i + 1]];
        expect([from, to, imports(from, to).length > 0]).toEqual([from, to, true]);
        expect([to, "must not import", from, imports(to, from)]).toEqual([to, "must not import", from, []]);
      }
    const src = graph.filter(([a]) => under(a, "src/"));
    expect(src.filter(([, b]) => under(b, "infra/") || under(b, "policy/") || b.startsWith("@pulumi/"))).toEqual([]);
    expect(graph.filter(([a, b]) => under(b, "tests/") && !under(a, "tests/") && a !== "vitest.config.ts")).toEqual([]);
    expect(section).toContain("nothing in `src/` imports `infra/`, `policy/` or Pulumi");
    expect(section).toContain("of `tests/`, nothing outside `tests/` imports it but `vitest.config.ts`");
  });
});

/** Every import of the tree's TypeScript files, as [importer, imported]: repo paths, or a package's name. */
function importGraph(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of sourceFiles(ROOT)) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|^import\s+)["']([^"']+)["']/gm)) {
      const spec = m[1];
      if (!spec.startsWith(".")) {
        edges.push([file, spec]);
        continue;
      }
      const base = relative(ROOT, resolve(ROOT, dirname(file), spec));
      const hit = [base, `${base}.ts`, `${base}.js`, `${base}/index.ts`].find((p) => existsSync(join(ROOT, p)));
      if (hit && !hit.endsWith("/")) edges.push([file, hit]);
    }
  }
  return edges;
}

function sourceFiles(root: string): string[] {
  const top = ["infra", "policy", "src", "tests", "testbed", "bench", "scripts"];
  const files = top.flatMap((d) =>
    readdirSync(join(root, d), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith(".d.ts"))
      .map((e) => relative(root, join(e.parentPath, e.name))),
  );
  return [...files, "vitest.config.ts"];
}
