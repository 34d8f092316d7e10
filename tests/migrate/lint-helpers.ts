/**
 * Helpers for the lint's rule tests: a migration file from an up section (and its line's
 * options), and each finding as one line naming its place, severity, rule, table and message.
 */
import type { Environment } from "../../src/env/environment";
import { type MigrationRef, parseMigration } from "../../src/migrate/files";
import { type LintFinding, lintFiles } from "../../src/migrate/lint";

const ref = (version: number): MigrationRef => ({
  version: String(version).padStart(4, "0"),
  order: BigInt(version),
  name: "x",
  filename: `${String(version).padStart(4, "0")}_x.sql`,
  path: `/m/${String(version).padStart(4, "0")}_x.sql`,
});

/** `line:column severity [rule] table: message`. */
export const show = (f: LintFinding): string =>
  `${f.line}:${f.column} ${f.severity} [${f.rule}] ${f.table ? `${f.table}: ` : ""}${f.message}`;

/** The findings of one file whose up section is `up` (its up line carries `options`), linted for prod. */
export async function lintUp(up: string, options = "", environment: Environment = "prod"): Promise<string[]> {
  return lintHistory([[up, options]], environment);
}

/** The findings of several files, in version order (0001, 0002, ...): what the earlier ones built is known to the later. */
export async function lintHistory(
  ups: readonly (string | readonly [string, string])[],
  environment: Environment = "prod",
): Promise<string[]> {
  const files = ups.map((u, i) => {
    const [up, options] = typeof u === "string" ? [u, ""] : u;
    return parseMigration(ref(i + 1), `-- migrate:up${options ? ` ${options}` : ""}\n${up}\n-- migrate:down\n`);
  });
  return (await lintFiles(files, { environment })).findings.map(
    (f) => `${f.filename === files[files.length - 1].filename ? "" : `${f.filename} `}${show(f)}`,
  );
}

/** The notes (what the lint could not decide) of one file whose up section is `up`, linted for prod. */
export async function notesFor(up: string, environment: Environment = "prod"): Promise<string[]> {
  const files = [parseMigration(ref(1), `-- migrate:up\n${up}\n-- migrate:down\n`)];
  return (await lintFiles(files, { environment })).notes.map(show);
}

/** The findings of one file given whole (header, up and down sections), linted for `environment`. */
export async function lintText(text: string, environment: Environment = "prod"): Promise<string[]> {
  return (await lintFiles([parseMigration(ref(1), text)], { environment })).findings.map(show);
}

/** The rules that fired, one entry per finding: for tests about which statement forms a rule covers. */
export async function rulesFor(up: string, options = ""): Promise<string[]> {
  const files = [parseMigration(ref(1), `-- migrate:up${options ? ` ${options}` : ""}\n${up}\n-- migrate:down\n`)];
  return (await lintFiles(files, { environment: "prod" })).findings.map((f) => f.rule);
}
