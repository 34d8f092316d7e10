import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The import specifiers the app's docs and public modules tell the application to use must be ones
 * package.json exports: `precog-db/dist/app` fails at run time with ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
const root = join(__dirname, "..", "..");
const exported = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> }).exports,
);

function specifiers(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/["'`](precog-db(?:\/[^"'`\s]*)?)["'`]/g)].map((m) => m[1]);
}

describe("import specifiers in the app's docs and module headers", () => {
  it("package.json exports the app, testing and migrate entry points", () => {
    expect(exported).toEqual([".", "./app", "./testing", "./migrate", "./package.json"]);
  });

  it.each(["docs/app.md", "src/app/index.ts", "src/testing/index.ts", "src/testing/fixtures.ts"])(
    "%s names only exported paths",
    (file) => {
      const found = specifiers(file);
      const notExported = found.filter(
        (s) => !exported.includes(s === "precog-db" ? "." : `.${s.slice("precog-db".length)}`),
      );
      expect(notExported).toEqual([]);
    },
  );

  it("docs/app.md shows both public modules", () => {
    expect(specifiers("docs/app.md")).toEqual(expect.arrayContaining(["precog-db", "precog-db/testing"]));
  });
});
