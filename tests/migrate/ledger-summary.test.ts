/**
 * The ledger summary (src/migrate/ledger-summary.ts): what a stack's `migrations` output and its
 * migration resource's state carry, and the view of a predecessor the stack-order gate reads
 * through it: settled by count and digest without the text when the stacks agree, from the text
 * otherwise, for the files in question only.
 */
import { describe, expect, it } from "vitest";
import {
  allowedOf,
  appliedEntries,
  checksumThere,
  predecessorView,
  stackOrderProblems,
  summaryFromOutput,
  summaryOf,
} from "../../src/migrate";
import { sha256 } from "../../src/migrate/hash";

const sum = (c: string) => c.repeat(64);
const files = [
  { version: "0001", checksum: sum("a") },
  { version: "0002", checksum: sum("b") },
  { version: "0010", checksum: sum("c") },
];

describe("summaryOf", () => {
  it("counts, names the newest by number, and digests the text of versions and checksums, oldest first", () => {
    const s = summaryOf([files[2], files[0], files[1]]);
    const text = `1 ${sum("a")}\n2 ${sum("b")}\n10 ${sum("c")}`;
    expect(s).toEqual({ count: 3, newest: "10", digest: sha256(text), applied: text });
    expect(summaryOf(files)).toEqual(s);
    expect(appliedEntries(s.applied)).toEqual([
      { version: "1", checksum: sum("a") },
      { version: "2", checksum: sum("b") },
      { version: "10", checksum: sum("c") },
    ]);
  });

  it("of nothing applied: count 0, no newest, the digest of the empty text", () => {
    expect(summaryOf([])).toEqual({ count: 0, newest: null, digest: sha256(""), applied: "" });
    expect(appliedEntries("")).toEqual([]);
  });

  it("differs in its digest when one checksum differs, whatever the rest", () => {
    const other = summaryOf([files[0], { version: "2", checksum: sum("d") }, files[2]]);
    expect(other.count).toBe(3);
    expect(other.digest).not.toBe(summaryOf(files).digest);
  });
});

describe("summaryFromOutput", () => {
  const ledger = files.map((f) => ({ ...f, name: "x", appliedAt: "2026-12-01T00:00:00Z", appliedBy: "ci" }));
  it.each([
    ["the summary", summaryOf(files), summaryOf(files)],
    ["the whole ledger as a list (stacks deployed before the summary)", ledger, summaryOf(files)],
    ["an empty list", [], summaryOf([])],
    ["nothing (a stack never deployed)", undefined, undefined],
    ["null", null, undefined],
    ["an object of another shape", { count: 3 }, undefined],
    ["a text", "1 aaa", undefined],
  ])("%s", (_, output, expected) => {
    expect(summaryFromOutput(output)).toEqual(expected);
  });
});

describe("predecessorView", () => {
  it("is settled by count and digest when the predecessor applied the files up to its newest as they are: the text is not read", () => {
    const predecessor = { ...summaryOf(files.slice(0, 2)), applied: "not read" };
    const view = predecessorView(predecessor, files, "dev");
    expect(view).toEqual({ newest: "2", differs: {} });
    expect(files.map((f) => checksumThere(view, f))).toEqual([sum("a"), sum("b"), undefined]);
    expect(allowedOf(view, files)).toEqual([
      { version: "1", checksum: sum("a") },
      { version: "2", checksum: sum("b") },
    ]);
  });

  it("of a predecessor that applied nothing: nothing is applied there", () => {
    const view = predecessorView(summaryOf([]), files, "dev");
    expect(view).toEqual({ newest: null, differs: {} });
    expect(allowedOf(view, files)).toEqual([]);
  });

  it("reads the text when they disagree, keeping only the files it has not applied as they are here", () => {
    // dev applied 1 as here, 2 with other content, not 3, and 4 (which this checkout lacks).
    const here = [...files.slice(0, 2), { version: "3", checksum: sum("e") }];
    const dev = summaryOf([files[0], { version: "2", checksum: sum("d") }, { version: "4", checksum: sum("f") }]);
    const view = predecessorView(dev, here, "dev");
    expect(view).toEqual({ newest: "4", differs: { "2": sum("d"), "3": null } });
    expect(here.map((f) => checksumThere(view, f))).toEqual([sum("a"), sum("d"), undefined]);
    expect(allowedOf(view, here)).toEqual([{ version: "1", checksum: sum("a") }]);
  });

  it("refuses a text that does not match its digest, naming the stack and what to do", () => {
    const tampered = { ...summaryOf(files), applied: `1 ${sum("a")}` };
    expect(() => predecessorView(tampered, files.slice(0, 1), "test")).toThrow(
      'The migrations output of stack "test" is inconsistent (its applied list does not match its digest): run pulumi up --stack test to record it again.',
    );
  });
});

describe("the stack-order gate through the view", () => {
  it("names what the predecessor lacks and what it applied with another checksum; allows the rest", () => {
    const here = [...files.slice(0, 2), { version: "3", checksum: sum("e") }];
    const dev = summaryOf([files[0], { version: "2", checksum: sum("d") }]);
    const gate = {
      stack: "test",
      predecessor: "dev",
      predecessorApplied: predecessorView(dev, here, "dev"),
      pending: here.map((f, i) => ({ ...f, version: String(i + 1), name: `m${i + 1}` })),
    };
    expect(stackOrderProblems(gate)).toEqual([
      `2_m2.sql (checksum ${sum("b").slice(0, 12)}): stack "dev" applied version 2 with checksum ${sum("d").slice(0, 12)}; the file changed since`,
      `3_m3.sql (checksum ${sum("e").slice(0, 12)}): stack "dev" has not applied it; stack "test" lacks it until "dev" does`,
    ]);
  });
});
