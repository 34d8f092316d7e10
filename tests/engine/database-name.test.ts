/**
 * Issue 30, item 6: a change of precog:database on a deployed stack is refused before anything named
 * after the database is registered (infra/database/deployed-name.ts reads the stack's own last
 * `database` output through a StackReference to itself). Through the real CLI: an inline program
 * that makes the same check and exports the name as the whole program does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertDatabaseUnchanged } from "../../infra/database/deployed-name";
import { type InlineProgram, InlineProject } from "./inline-project";

const MINUTES = 60_000;
let project: InlineProject;

const exportsDatabase: InlineProgram = async (vars) => {
  const database = vars.TEST_DATABASE ?? "";
  await assertDatabaseUnchanged("precog-dev", database);
  return { database };
};

beforeAll(async () => {
  project = await InlineProject.open();
}, 10 * MINUTES);

afterAll(() => project?.remove());

describe.sequential("a change of precog:database, through the real engine", () => {
  it(
    "deploys a first name, refuses another, and accepts the deployed one again",
    async () => {
      const first = await project.up("dev", exportsDatabase, { env: { TEST_DATABASE: "precog_dev" } });
      expect(first.ok, first.output).toBe(true);

      const renamed = await project.up("dev", exportsDatabase, { env: { TEST_DATABASE: "precog_dev_renamed" } });
      expect(renamed.ok).toBe(false);
      expect(renamed.output).toContain(
        'Stack "dev" deployed the database "precog_dev", and precog:database in Pulumi.dev.yaml now says "precog_dev_renamed". ' +
          "Pulumi would rename the database and its roles in place and wedge every later up, so a change of name is refused.",
      );
      expect((await project.outputs("dev")).database).toBe("precog_dev");

      const again = await project.up("dev", exportsDatabase, { env: { TEST_DATABASE: "precog_dev" } });
      expect(again.ok, again.output).toBe(true);
    },
    10 * MINUTES,
  );
});
