/**
 * The ledger summary (src/migrate/ledger-summary.ts): what a stack's `migrations` output and its
 * migration resource's state carry, of a fixed size whatever the ledger's length, and what it
 * settles of a folder's files: exactly them by count and digest when they agree; the older part by
 * its digest and the newest hundred as listed; otherwise it says where it stops knowing.
 */
import { describe, expect, it } from "vitest";
import {
  allowedOf,
  appliedEntries,
  checksumThere,
  listDigest,
  predecessorView,
  RECENT,
  sameList,
  settle,
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
/** `n` files, versions 1 to n, each with a checksum of its own. */
const many = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ version: String(from + i), checksum: sha256(`file ${from + i}`) }));
const line = (e: { version: string; checksum: string }) => `${e.version} ${e.checksum}`;

describe("summaryOf", () => {
  it("counts, names the newest by number, digests the text of versions and checksums oldest first, and lists them", () => {
    const s = summaryOf([files[2], files[0], files[1]]);
    const text = `1 ${sum("a")}\n2 ${sum("b")}\n10 ${sum("c")}`;
    expect(s).toEqual({ count: 3, newest: "10", digest: sha256(text), recent: text, olderDigest: sha256("") });
    expect(summaryOf(files)).toEqual(s);
    expect(appliedEntries(s.recent)).toEqual([
      { version: "1", checksum: sum("a") },
      { version: "2", checksum: sum("b") },
      { version: "10", checksum: sum("c") },
    ]);
  });

  it(`lists the newest ${RECENT} only, the older ones by their digest: the same size at 5,000 as at ${RECENT}`, () => {
    const all = many(5000);
    const s = summaryOf(all);
    expect(s.count).toBe(5000);
    expect(s.newest).toBe("5000");
    expect(s.digest).toBe(sha256(all.map(line).join("\n")));
    expect(s.recent).toBe(all.slice(-RECENT).map(line).join("\n"));
    expect(s.olderDigest).toBe(sha256(all.slice(0, -RECENT).map(line).join("\n")));
    expect(JSON.stringify(s).length).toBe(JSON.stringify(summaryOf(many(RECENT, 4901))).length + 1);
  });

  it("of nothing applied: count 0, no newest, the digests of the empty text", () => {
    expect(summaryOf([])).toEqual({ count: 0, newest: null, digest: sha256(""), recent: "", olderDigest: sha256("") });
    expect(appliedEntries("")).toEqual([]);
  });

  it("differs in its digest when one checksum differs, whatever the rest", () => {
    const other = summaryOf([files[0], { version: "2", checksum: sum("d") }, files[2]]);
    expect(other.count).toBe(3);
    expect(other.digest).not.toBe(summaryOf(files).digest);
  });
});

describe("listDigest: what the program gives the resource of its files", () => {
  it("is the summary's count, newest and digest, whatever the order and padding", () => {
    const { count, newest, digest } = summaryOf(files);
    expect(listDigest([files[1], files[2], files[0]])).toEqual({ count, newest, digest });
    expect(
      sameList(listDigest(files), summaryOf(files.map((f) => ({ ...f, version: String(Number(f.version)) })))),
    ).toBe(true);
  });

  it.each([
    ["a checksum changed", [files[0], { version: "2", checksum: sum("d") }, files[2]]],
    ["a file not applied", files.slice(0, 2)],
    ["a version applied with no file", [...files, { version: "11", checksum: sum("e") }]],
    ["nothing applied", []],
  ])("is not the ledger's when %s", (_, ledger) => {
    expect(sameList(listDigest(files), summaryOf(ledger))).toBe(false);
  });
});

describe("summaryFromOutput", () => {
  const ledger = files.map((f) => ({ ...f, name: "x", appliedAt: "2026-12-01T00:00:00Z", appliedBy: "ci" }));
  const text = `1 ${sum("a")}\n2 ${sum("b")}\n10 ${sum("c")}`;
  it.each([
    ["the summary", summaryOf(files), summaryOf(files)],
    [
      "the summary with the whole text (stacks deployed before the newest were listed alone)",
      { count: 3, newest: "10", digest: sha256(text), applied: text },
      summaryOf(files),
    ],
    ["the whole ledger as a list (stacks deployed before the summary)", ledger, summaryOf(files)],
    ["an empty list", [], summaryOf([])],
    ["nothing (a stack never deployed)", undefined, undefined],
    ["null", null, undefined],
    ["an object of another shape", { count: 3 }, undefined],
    ["a text", "1 aaa", undefined],
  ])("%s", (_, output, expected) => {
    expect(summaryFromOutput(output, "dev")).toEqual(expected);
  });

  it("refuses a whole text that does not match its digest, naming the stack and what to do", () => {
    const tampered = { count: 3, newest: "10", digest: sha256(text), applied: `1 ${sum("a")}` };
    expect(() => summaryFromOutput(tampered, "test")).toThrow(
      'The migrations ledger summary of stack "test" is inconsistent (its applied list does not match its digest): ' +
        "record it again from its database with pulumi refresh --stack test, then pulumi up --stack test.",
    );
  });

  it.each([
    ["a list shorter than its count", { ...summaryOf(files), recent: `1 ${sum("a")}` }],
    ["no list with a newest version", { ...summaryOf(files), recent: "" }],
    ["a list that does not end at its newest", { ...summaryOf(files), newest: "11" }],
    ["a whole list that is not its digest", { ...summaryOf(files), digest: sha256("x") }],
    ["a list of 100 where it applied 101", { ...summaryOf(many(101)), recent: summaryOf(many(100)).recent }],
  ])("refuses a summary that does not hold together: %s", (_, output) => {
    expect(() => summaryFromOutput(output, "test")).toThrow(
      /^The migrations ledger summary of stack "test" is inconsistent \(its list of the newest does not match its count, newest version or digest\): record it again from its database with pulumi refresh --stack test, then pulumi up --stack test\.$/,
    );
  });
});

describe("settle: what a summary applied, read against the files", () => {
  it("exactly the files up to its newest when they have its count and digest; a file after it is pending", () => {
    expect(settle(summaryOf(files.slice(0, 2)), files)).toEqual({
      applied: [
        { version: "1", checksum: sum("a") },
        { version: "2", checksum: sum("b") },
      ],
    });
  });

  it(`past ${RECENT}: the older ones by their digest, the newest as listed (a file added among them, one changed)`, () => {
    const all = many(300);
    // Applied: 1..300 but 250, and 280 with another content.
    const applied = all
      .filter((f) => f.version !== "250")
      .map((f) => (f.version === "280" ? { ...f, checksum: sum("9") } : f));
    const settled = settle(summaryOf(applied), all);
    expect(settled).toEqual({ applied: applied.map((f) => ({ version: f.version, checksum: f.checksum })) });
  });

  it("says where it stops knowing when the files before its newest hundred are not the ones applied", () => {
    const all = many(300);
    const applied = all.filter((f) => f.version !== "50");
    // The oldest listed of 299 applied is the 200th: version 201.
    expect(settle(summaryOf(applied), all)).toEqual({ unsettledBefore: "201" });
  });

  it("of nothing applied: nothing", () => {
    expect(settle(summaryOf([]), files)).toEqual({ applied: [] });
  });

  it.each([
    ["4 applied, a file older than all of them", many(5), many(4, 2)],
    ["exactly 100 applied, a file older than all of them", many(101), many(100, 2)],
  ])("lists every one when it applied no more than %s: the list settles it", (_, here, applied) => {
    expect(settle(summaryOf(applied), here)).toEqual({ applied });
  });

  it("at 101 applied, a file older than all of them is before the list: not settled by it", () => {
    expect(settle(summaryOf(many(101, 2)), many(102))).toEqual({ unsettledBefore: "3" });
  });

  it("settles nothing past 100 when its list is not the one its digest is of", () => {
    // Applied 1..300 but 250 (pending here); its list says 280 has another checksum than the one its digest is of.
    const all = many(300);
    const applied = all.filter((f) => f.version !== "250");
    const changed = applied.map((f) => (f.version === "280" ? { ...f, checksum: sum("9") } : f));
    const other = { ...summaryOf(applied), recent: summaryOf(changed).recent };
    expect(settle(summaryOf(applied), all)).toEqual({ applied });
    expect(settle(other, all)).toEqual({ unsettledBefore: "200" });
  });
});

describe("predecessorView", () => {
  it("is settled by count and digest when the predecessor applied the files up to its newest as they are", () => {
    const view = predecessorView(summaryOf(files.slice(0, 2)), files);
    expect(view).toEqual({ newest: "2", differs: {} });
    expect(files.map((f) => checksumThere(view, f))).toEqual([sum("a"), sum("b"), undefined]);
    expect(allowedOf(view, files)).toEqual([
      { version: "1", checksum: sum("a") },
      { version: "2", checksum: sum("b") },
    ]);
  });

  it("of a predecessor that applied nothing: nothing is applied there", () => {
    const view = predecessorView(summaryOf([]), files);
    expect(view).toEqual({ newest: null, differs: {} });
    expect(allowedOf(view, files)).toEqual([]);
  });

  it("keeps only the files it has not applied as they are here", () => {
    // dev applied 1 as here, 2 with other content, not 3, and 4 (which this checkout lacks).
    const here = [...files.slice(0, 2), { version: "3", checksum: sum("e") }];
    const dev = summaryOf([files[0], { version: "2", checksum: sum("d") }, { version: "4", checksum: sum("f") }]);
    const view = predecessorView(dev, here);
    expect(view).toEqual({ newest: "4", differs: { "2": sum("d"), "3": null } });
    expect(here.map((f) => checksumThere(view, f))).toEqual([sum("a"), sum("d"), undefined]);
    expect(allowedOf(view, here)).toEqual([{ version: "1", checksum: sum("a") }]);
  });

  it("of a predecessor deployed from a newer checkout (applied files this one lacks): what it applied of these is allowed", () => {
    // dev applied 1..1050; this checkout has 1..1000, and test has applied up to 990.
    const here = many(1000);
    const view = predecessorView(summaryOf(many(1050)), here);
    expect(view).toEqual({ newest: "1050", differs: {} });
    expect(allowedOf(view, here.slice(990)).map((f) => f.version)).toEqual(here.slice(990).map((f) => f.version));
  });

  it("refuses, naming why, the files older than its newest hundred it cannot settle; the listed ones it can", () => {
    // dev applied 1..300 but 50 (added to the folder later): 50 is pending there.
    const here = many(300);
    const dev = summaryOf(here.filter((f) => f.version !== "50"));
    const view = predecessorView(dev, here);
    expect(view).toEqual({ newest: "300", differs: {}, unsettledBefore: "201" });
    const pending = [here[49], here[249]].map((f) => ({ ...f, name: `m${f.version}` }));
    expect(allowedOf(view, pending).map((f) => f.version)).toEqual(["250"]);
    expect(stackOrderProblems({ stack: "test", predecessor: "dev", predecessorApplied: view, pending })).toEqual([
      `50_m50.sql (checksum ${here[49].checksum.slice(0, 12)}): stack "dev"'s ledger summary does not say whether it applied this one: ` +
        "before version 201, the newest 100 it lists, its applied files are not these files (it applied one they lack or another " +
        'content, or lacks one they have; or it is more than 100 migrations ahead of them). If "dev" was deployed from a newer ' +
        "checkout, update this one; else compare `PRECOG_ENV=dev npx precog-db status` with migrations/",
    ]);
  });

  it("of a predecessor more than 100 ahead of this checkout: refused, saying to update the checkout (a fixed-size summary's limit)", () => {
    // dev applied 1..400 from a newer checkout; this one has 1..200, and test has applied up to 199.
    const here = many(200);
    const view = predecessorView(summaryOf(many(400)), here);
    expect(view.unsettledBefore).toBe("301");
    const pending = [{ ...here[199], name: "m200" }];
    expect(allowedOf(view, pending)).toEqual([]);
    expect(stackOrderProblems({ stack: "test", predecessor: "dev", predecessorApplied: view, pending })[0]).toMatch(
      /more than 100 migrations ahead of them\)\. If "dev" was deployed from a newer checkout, update this one/,
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
      predecessorApplied: predecessorView(dev, here),
      pending: here.map((f, i) => ({ ...f, version: String(i + 1), name: `m${i + 1}` })),
    };
    expect(stackOrderProblems(gate)).toEqual([
      `2_m2.sql (checksum ${sum("b").slice(0, 12)}): stack "dev" applied version 2 with checksum ${sum("d").slice(0, 12)}; the file changed since`,
      `3_m3.sql (checksum ${sum("e").slice(0, 12)}): stack "dev" has not applied it; stack "test" lacks it until "dev" does`,
    ]);
  });
});
