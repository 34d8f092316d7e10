/**
 * Issue 30, item 11, for what the project owns, through the real CLI: `pulumi up --debug` and
 * `preview --debug` of the migration component (the project's plugin logging in as the migrator)
 * print no password, whatever the engine and the plugin log at debug level. The upstream providers'
 * side is tests/infra/secret-inputs.test.ts (every input under mocks).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../testbed/local-cluster";
import type { InlineProgram, InlineProject } from "./inline-project";
import { type StacksOnCluster, stacksOnCluster } from "./stacks-on-cluster";

const MINUTES = 60_000;
let onCluster: StacksOnCluster<"dev">;
let cluster: LocalCluster;
let project: InlineProject;
let passwords: Record<string, string>;
let dev: InlineProgram;

beforeAll(async () => {
  onCluster = await stacksOnCluster(["dev"] as const);
  ({ cluster, project } = onCluster);
  passwords = onCluster.passwords.dev;
  dev = onCluster.programs.dev;
}, 20 * MINUTES);

afterAll(() => onCluster?.close());

describe.sequential("--debug prints no password", () => {
  it(
    "up and preview of the migration component, with debug output",
    async () => {
      const up = await project.up("dev", dev, { debug: true });
      expect(up.ok, up.output.slice(-3000)).toBe(true);
      const preview = await project.preview("dev", dev, { debug: true });
      expect(preview.ok).toBe(true);
      // The run did print debug output, so the check below looks at it.
      expect(up.output).toMatch(/debug: /);
      for (const [role, password] of [...Object.entries(passwords), ["admin", cluster.password]]) {
        expect(up.output.includes(password), `${role} password in up --debug`).toBe(false);
        expect(preview.output.includes(password), `${role} password in preview --debug`).toBe(false);
      }
    },
    15 * MINUTES,
  );
});
