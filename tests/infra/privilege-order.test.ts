/**
 * Changes to the privileges of one object run one after another (PostgreSQL refuses concurrent
 * changes to one catalog row); changes to different objects stay independent.
 */
import { describe, expect, it } from "vitest";
import { adminPasswordFile } from "../helpers/password-file";
import { type Recorded, runStack } from "./harness";

const PASSWORD_FILE = adminPasswordFile();

const GRANT = "postgresql:index/grant:Grant";
const DEFAULT = "postgresql:index/defaultPrivileges:DefaultPrivileges";

/** The object whose privileges a resource changes. */
function objectOf(r: Recorded): string {
  return `${r.type === GRANT ? "grant" : "default"} ${r.inputs.objectType}`;
}

describe("privilege changes on the dev stack", () => {
  it("form one chain per object, each waiting for the one before", async () => {
    const run = await runStack("dev", { config: { "precog:local.adminPasswordFile": PASSWORD_FILE } });
    const changes = run.resources.filter((r) => r.type === GRANT || r.type === DEFAULT);
    const byObject = new Map<string, Recorded[]>();
    for (const r of changes) byObject.set(objectOf(r), [...(byObject.get(objectOf(r)) ?? []), r]);
    expect([...byObject.keys()].sort()).toEqual([
      "default function",
      "default sequence",
      "default table",
      "grant database",
      "grant schema",
      "grant sequence",
      "grant table",
    ]);
    for (const [object, chain] of byObject) {
      // Functions have one change only: PUBLIC's EXECUTE revoked.
      expect(chain.length).toBe(object === "default function" ? 1 : Math.max(2, chain.length));
      const waitsFor = chain.map((r) => ((r.opts.dependsOn ?? []) as { __name?: string }[]).map((d) => d.__name));
      expect(waitsFor).toEqual(chain.map((_, i) => (i === 0 ? [] : [chain[i - 1].name])));
    }
  });
});
