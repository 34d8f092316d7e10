/**
 * The compiled program and the sources it was compiled from. Pulumi runs the program from
 * `dist/pulumi/` (plain JavaScript, no TypeScript loader); `npm run build` records a digest of the
 * sources beside it, and the program refuses to run when the sources in the checkout differ, so a
 * stale build is never deployed by accident.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** What the compiled program is made from, relative to the project root. */
const SOURCE_ROOTS = ["infra", "src"];
const SOURCE_FILES = ["tsconfig.json", "tsconfig.infra.json"];
const STAMP = "dist/pulumi/sources.sha256";

/** A digest of every TypeScript source and the compiler settings, in a fixed order. */
export function sourceDigest(root: string): string {
  const files = [
    ...SOURCE_ROOTS.flatMap((d) => tsFiles(join(root, d))),
    ...SOURCE_FILES.map((f) => join(root, f)),
  ].sort();
  const hash = createHash("sha256");
  for (const f of files)
    hash
      .update(`${relative(root, f)}\0`)
      .update(readFileSync(f))
      .update("\0");
  return hash.digest("hex");
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Called by `npm run build` after the compiler. */
export function writeStamp(root: string): void {
  writeFileSync(join(root, STAMP), `${sourceDigest(root)}\n`);
}

/**
 * Throws unless the compiled program was built from the sources in `root`. A build without its
 * sources beside it (a deployment artifact) is taken as it is.
 */
export function assertBuildCurrent(root: string): void {
  if (!existsSync(join(root, "infra"))) return;
  const stamp = join(root, STAMP);
  const built = existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";
  if (built !== sourceDigest(root)) {
    throw new Error(
      `the compiled Pulumi program in dist/pulumi/ is older than its sources in infra/ and src/: ` +
        "run `npm run build`, then run this command again.",
    );
  }
}
