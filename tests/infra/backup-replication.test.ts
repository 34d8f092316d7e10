/**
 * precog:rds.backupReplication: prod's automated backups replicated to a second region, encrypted
 * with a key of the stack's in that region, kept and protected like the stack key; nothing of it
 * where unset (staging); refused when the region is the stack's own.
 */
import { describe, expect, it } from "vitest";
import { accountOf, type Recorded, runStack } from "./harness";

const PROD = { PRECOG_PROD_CONFIRMED: "yes" };

describe("backups beyond one region", () => {
  it("prod: the automated backups replicated to us-west-2 for 30 days, under a key there", async () => {
    const r = await runStack("prod", { vars: PROD });
    const account = accountOf("prod");
    const copy = r.byName("precog-prod-server-backup-copy");
    expect(copy.inputs).toEqual({
      region: "us-west-2",
      sourceDbInstanceArn: `arn:aws:rds:us-east-1:${account}:db:precog-prod`,
      kmsKeyId: `arn:aws:kms:us-west-2:${account}:key/precog-prod-server-backup-copy-key`,
      retentionPeriod: 30,
    });
    const key = r.byName("precog-prod-server-backup-copy-key");
    expect(key.inputs).toEqual({
      region: "us-west-2",
      description: "Precog prod: the automated backups replicated from us-east-1",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { "precog:environment": "prod", "precog:managed-by": "pulumi" },
    });
    expect([key.opts.protect, key.opts.retainOnDelete, copy.opts.protect]).toEqual([true, true, true]);
    expect(r.byName("precog-prod-server-backup-copy-key-alias").inputs).toEqual({
      region: "us-west-2",
      name: "alias/precog-prod-backups",
      targetKeyId: "precog-prod-server-backup-copy-key-key-id",
    });
  });

  it("staging, which sets none: no replication, no second key", async () => {
    const r = await runStack("staging");
    expect(r.ofType("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")).toEqual([]);
    expect(r.ofType("aws:kms/key:Key").map((k) => k.name)).toEqual(["precog-staging-server-key"]);
  });

  it("the stack's own region is refused before anything is registered", async () => {
    const sink: Recorded[] = [];
    const error = await runStack("prod", {
      config: { "precog:rds.backupReplication.region": "us-east-1" },
      vars: PROD,
      sink,
    }).then(
      () => "went through",
      (e: Error) => e.message,
    );
    expect(error).toBe(
      `Stack "prod": precog:rds.backupReplication.region "us-east-1" is the stack's own region (aws:region): a second copy must be in another one; ` +
        "set it with `pulumi config set --stack prod --path 'precog:rds.backupReplication.region' <region>`. Nothing was changed.",
    );
    expect(sink.map((x) => x.name)).toEqual([]);
  });

  it("the stack's region from AWS_REGION, as the aws provider reads it without aws:region, is refused alike", async () => {
    const error = await runStack("prod", {
      config: { "aws:region": undefined, "precog:rds.backupReplication.region": "us-west-2" },
      vars: { ...PROD, AWS_REGION: "us-west-2" },
    }).then(
      () => "went through",
      (e: Error) => e.message,
    );
    expect(error).toContain(`precog:rds.backupReplication.region "us-west-2" is the stack's own region (aws:region)`);
  });
});
