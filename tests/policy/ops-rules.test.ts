/**
 * The policy rules of operating prod (issue 31): each on a stack that keeps it (the committed
 * ones, and the config that uses the feature) and on one that breaks it, naming the resource.
 */
import { describe, expect, it } from "vitest";
import { type Context, type Rule, type StackResource, UNKNOWN } from "../../policy/resources";
import { prodBackupsCopied } from "../../policy/rules/backups";
import { RULES } from "../../policy/rules/index";
import { rdsInstanceSafe, rdsMasterPassword } from "../../policy/rules/rds";
import { stagingRehearsesProd } from "../../policy/rules/rehearsal";
import { restoreKeepsIdentifier } from "../../policy/rules/restore";
import type { ConfigOverrides } from "../../testbed/config-overrides";
import { adminPasswordFile } from "../helpers/password-file";
import { runStack, STACKS, type Stack } from "../infra/harness";
import { editResource, fromHarness } from "./from-harness";

const PROD_OK = { PRECOG_PROD_CONFIRMED: "yes", USER: "tester" };
const PASSWORD_FILE = adminPasswordFile();
const ctx = (environment: string): Context => ({ environment, minimumBackupRetentionDays: 7 });

async function resourcesOf(stack: Stack, config?: ConfigOverrides): Promise<StackResource[]> {
  const local = stack === "dev" || stack === "test" ? { "precog:local.adminPasswordFile": PASSWORD_FILE } : {};
  return fromHarness((await runStack(stack, { config: { ...local, ...config }, vars: PROD_OK })).resources);
}
const check = (rule: Rule, resources: readonly StackResource[], environment: string) =>
  rule.check(resources, ctx(environment));

describe("restore-keeps-identifier", () => {
  const restored = { pointInTime: { sourceInstance: "precog-prod-before-restore", useLatestRestorableTime: true } };

  it("keeps: the four committed stacks, and prod restored from its renamed instance", async () => {
    for (const stack of STACKS) expect(check(restoreKeepsIdentifier, await resourcesOf(stack), stack)).toEqual([]);
    const r = await resourcesOf("prod", { "precog:rds.restore": restored });
    expect(check(restoreKeepsIdentifier, r, "prod")).toEqual([]);
  });

  it("breaks: restored under another identifier, under a generated one, from itself", async () => {
    const r = await resourcesOf("prod", { "precog:rds.restore": restored });
    const renamed = editResource(r, "precog-prod-server-instance", (x) => ({
      props: { ...x.props, identifier: "precog-prod-restored" },
    }));
    expect(check(restoreKeepsIdentifier, renamed, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message:
          "the instance is restored as precog-prod-restored, but its log groups are named for precog-prod: restore under that identifier (rename the old instance first)",
      },
    ]);
    const generated = editResource(r, "precog-prod-server-instance", (x) => ({
      props: { ...x.props, identifier: undefined },
    }));
    expect(check(restoreKeepsIdentifier, generated, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message: "a restored instance has no identifier of its own (a generated one); give it the stack's identifier",
      },
    ]);
    const fromItself = editResource(r, "precog-prod-server-instance", (x) => ({
      props: { ...x.props, restoreToPointInTime: { sourceDbInstanceIdentifier: "precog-prod" } },
    }));
    expect(check(restoreKeepsIdentifier, fromItself, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message:
          "the instance is restored from precog-prod, its own identifier: rename the old instance first and restore from that name",
      },
    ]);
  });
});

describe("prod-backups-copied", () => {
  it("keeps: committed prod (us-west-2); breaks: prod without precog:rds.backupReplication", async () => {
    expect(check(prodBackupsCopied, await resourcesOf("prod"), "prod")).toEqual([]);
    const r = await resourcesOf("prod", { "precog:rds.backupReplication": undefined });
    expect(check(prodBackupsCopied, r, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message:
          "prod's automated backups are in one region only; set precog:rds.backupReplication (a second region) for a copy",
      },
    ]);
    // Staging without a copy is the team's choice: the rule is advisory there and reports nothing.
    expect(check(prodBackupsCopied, await resourcesOf("staging"), "staging")).toEqual([]);
  });
});

describe("staging-rehearses-prod", () => {
  it("keeps: committed staging (Multi-AZ, a proxy, the key, rotation); breaks: staging single-AZ without a proxy or rotation", async () => {
    expect(check(stagingRehearsesProd, await resourcesOf("staging"), "staging")).toEqual([]);
    const r = await resourcesOf("staging", {
      "precog:rds.multiAz": false,
      "precog:rds.proxy": undefined,
      "precog:rotation.days": 0,
    });
    expect(check(stagingRehearsesProd, r, "staging")).toEqual([
      {
        resource: "precog-staging-server-instance",
        message:
          "staging does not rehearse prod's topology; it lacks Multi-AZ (precog:rds.multiAz), an RDS Proxy (precog:rds.proxy), rotated role secrets (precog:rotation.days)",
      },
    ]);
  });

  it("keeps: staging with a read replica (single-AZ, on the source's key), where the runbook rehearses the master-password switch; every rule holds there", async () => {
    const r = await resourcesOf("staging", { "precog:rds.replicas": { count: 1, unmanagedMasterPassword: true } });
    expect(r.filter((x) => x.props.replicateSourceDb !== undefined).map((x) => x.name)).toEqual([
      "precog-staging-server-replica-1",
    ]);
    expect(
      RULES.flatMap((rule) => check(rule, r, "staging").map((v) => `${rule.name}: ${v.resource}: ${v.message}`)),
    ).toEqual([]);
  });
});

describe("rds-master-password, and rds-instance-safe on read replicas", () => {
  const replicas = { "precog:rds.replicas": { count: 1, unmanagedMasterPassword: true } };

  it("keeps: the committed stacks (RDS manages the master password), and prod with a replica (the stack's secret password)", async () => {
    for (const stack of STACKS) expect(check(rdsMasterPassword, await resourcesOf(stack), stack)).toEqual([]);
    const r = await resourcesOf("prod", replicas);
    // Every rule: a replica has no backups or final snapshot of its own, and the rules know it;
    // in another region too (its key, parameter group and log group there).
    const west = await resourcesOf("prod", {
      "precog:rds.replicas": {
        count: 1,
        unmanagedMasterPassword: true,
        otherRegion: { region: "us-west-2", subnetIds: ["subnet-w1", "subnet-w2"], securityGroupIds: ["sg-w1"] },
      },
    });
    for (const resources of [r, west])
      expect(
        RULES.flatMap((rule) => check(rule, resources, "prod").map((v) => `${rule.name}: ${v.resource}: ${v.message}`)),
      ).toEqual([]);
  });

  it("breaks: an unmanaged master password without a replica; with one, no password at all; a replica not encrypted or public", async () => {
    const unmanaged = editResource(await resourcesOf("prod"), "precog-prod-server-instance", (x) => ({
      props: { ...x.props, manageMasterUserPassword: false, password: "(secret)" },
    }));
    expect(check(rdsMasterPassword, unmanaged, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message:
          "the master password is not managed by RDS (manageMasterUserPassword), and the stack has no read replica of this instance that would need that (precog:rds.replicas)",
      },
    ]);
    const withReplica = await resourcesOf("prod", replicas);
    // A replica of another instance (by identifier, or by ARN across regions) exempts nothing.
    for (const other of ["precog-staging", "arn:aws:rds:us-west-2:123456789012:db:precog-staging"])
      expect(
        check(
          rdsMasterPassword,
          editResource(withReplica, "precog-prod-server-replica-1", (x) => ({
            props: { ...x.props, replicateSourceDb: other },
          })),
          "prod",
        ),
      ).toEqual([
        {
          resource: "precog-prod-server-instance",
          message:
            "the master password is not managed by RDS (manageMasterUserPassword), and the stack has no read replica of this instance that would need that (precog:rds.replicas)",
        },
      ]);
    // A preview before the source exists: its ARN (the replica's source across regions) is not
    // known yet, and the stack's one source is the one it names.
    const unknownSource = editResource(withReplica, "precog-prod-server-replica-1", (x) => ({
      props: { ...x.props, replicateSourceDb: UNKNOWN },
    }));
    expect(check(rdsMasterPassword, unknownSource, "prod")).toEqual([]);
    const none = editResource(withReplica, "precog-prod-server-instance", (x) => ({
      props: { ...x.props, password: undefined },
    }));
    expect(check(rdsMasterPassword, none, "prod")).toEqual([
      {
        resource: "precog-prod-server-instance",
        message: "the master password is neither managed by RDS nor set by the stack",
      },
    ]);
    const open = editResource(withReplica, "precog-prod-server-replica-1", (x) => ({
      props: { ...x.props, publiclyAccessible: true, storageEncrypted: false },
    }));
    expect(check(rdsInstanceSafe, open, "prod")).toEqual([
      { resource: "precog-prod-server-replica-1", message: "storage is not encrypted (storageEncrypted)" },
      {
        resource: "precog-prod-server-replica-1",
        message: "the instance may be publicly accessible (publiclyAccessible must be false)",
      },
    ]);
  });
});
