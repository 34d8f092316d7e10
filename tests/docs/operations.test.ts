/**
 * The runbook (docs/operations.md) against the command line: every `precog-db <verb>` it shows is a
 * verb of the verb table, every option given to it is one that verb takes, and every script path
 * it names exists. A renamed verb or option, or a moved script, fails here until the page follows.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMON, USAGE, VERBS } from "../../src/cli/verbs";

const ROOT = join(__dirname, "../..");
const page = readFileSync(join(ROOT, "docs/operations.md"), "utf8");

/** Each `precog-db …` invocation in a code span or block, up to the end of its command. */
function invocations(text: string): { verb: string; options: string[]; text: string }[] {
  const code = [...text.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0]);
  return code.flatMap((span) =>
    [...span.matchAll(/precog-db\s+([a-z-]+)([^`|;&\n]*)/g)].map((m) => ({
      verb: m[1],
      options: [...m[2].matchAll(/(?:^|\s)--([a-z-]+)/g)].map((o) => o[1]),
      text: m[0],
    })),
  );
}

describe("docs/operations.md", () => {
  const calls = invocations(page);

  it("shows the command line at work (the scan finds its invocations)", () => {
    expect(calls.map((c) => c.verb)).toEqual(expect.arrayContaining(["rotate", "status", "down", "new"]));
  });

  it.each(calls.map((c) => [c.text, c] as const))("%s: a verb with options the help lists for it", (_t, c) => {
    expect(Object.keys(VERBS)).toContain(c.verb);
    for (const o of c.options) expect([...VERBS[c.verb].options, ...COMMON]).toContain(o);
    expect(USAGE).toContain(`  ${VERBS[c.verb].synopsis}`);
  });

  it("names only scripts that exist", () => {
    const scripts = [...new Set([...page.matchAll(/\bscripts\/[\w./-]+\.(?:sh|ts)\b/g)].map((m) => m[0]))];
    expect(scripts.length).toBeGreaterThan(2);
    for (const s of scripts) expect(existsSync(join(ROOT, s)), s).toBe(true);
  });

  it("names only test files that exist", () => {
    for (const [t] of page.matchAll(/\btests\/[\w./-]+\.test\.ts\b/g)) expect(existsSync(join(ROOT, t)), t).toBe(true);
  });
});
