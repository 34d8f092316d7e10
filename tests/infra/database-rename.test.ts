/**
 * Issue 30, item 6: the whole program under mocks refuses a precog:database other than the one the
 * stack deployed (its own `database` output, read through a StackReference to itself), before it
 * registers a database, a role or a grant; the deployed name, or a first deployment, goes ahead.
 */
import { describe, expect, it } from "vitest";
import { type Recorded, runStack } from "./harness";

const own = (database: string) => ({ "organization/precog/dev": { database } });
const secret = { config: { "precog:adminPassword": "admin-pw" }, secretKeys: ["precog:adminPassword"] };

describe("a change of precog:database on a deployed stack", () => {
  it("is refused before anything named after the database is registered", async () => {
    const sink: Recorded[] = [];
    await expect(runStack("dev", { ...secret, stackOutputs: own("precog_dev_old"), sink })).rejects.toThrow(
      'Stack "dev" deployed the database "precog_dev_old", and precog:database in Pulumi.dev.yaml now says "precog_dev". ' +
        "Pulumi would rename the database and its roles in place and wedge every later up, so a change of name is refused. " +
        'Set precog:database back to "precog_dev_old", or move to the new database as an explicit step (docs/stacks.md, ' +
        '"Changing precog:database"). Nothing was changed.',
    );
    expect(sink.filter((r) => r.type.startsWith("postgresql:"))).toEqual([]);
  });

  it("goes ahead with the deployed name, and on a first deployment", async () => {
    for (const outputs of [own("precog_dev"), {}]) {
      const r = await runStack("dev", { ...secret, stackOutputs: outputs });
      expect(r.byName("precog-dev-db-database").inputs.name).toBe("precog_dev");
    }
  });
});
