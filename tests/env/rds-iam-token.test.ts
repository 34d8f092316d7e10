/**
 * The IAM login token (src/env/rds-iam-token.ts): a presigned rds-db:connect request for exactly the
 * host, port, user and region asked, signed with the credentials given (static test ones here: the
 * signer presigns locally, nothing is sent), and the region's sources in order.
 */
import { describe, expect, it } from "vitest";
import { rdsIamRegion, rdsIamToken, regionOfRdsHost } from "../../src/env/rds-iam-token";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLETEST00001", secretAccessKey: "test-secret-access-key" };
const HOST = "precog-prod.abc123xyz.eu-west-1.rds.amazonaws.com";

describe("rdsIamToken", () => {
  it("presigns rds-db:connect for the host, port, user and region asked", async () => {
    const token = await rdsIamToken({
      host: HOST,
      port: 5433,
      user: "precog_prod_migrator",
      region: "eu-west-1",
      credentials: CREDENTIALS,
    });
    // The token is the request without its scheme: host:port/?query.
    const url = new URL(`https://${token}`);
    const q = Object.fromEntries(url.searchParams);
    const [keyId, , region, service, terminator] = q["X-Amz-Credential"].split("/");
    expect({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      action: q.Action,
      user: q.DBUser,
      keyId,
      region,
      service,
      terminator,
      algorithm: q["X-Amz-Algorithm"],
      expires: q["X-Amz-Expires"],
      signed: /^[0-9a-f]{64}$/.test(q["X-Amz-Signature"]),
    }).toEqual({
      host: HOST,
      port: "5433",
      path: "/",
      action: "connect",
      user: "precog_prod_migrator",
      keyId: CREDENTIALS.accessKeyId,
      region: "eu-west-1",
      service: "rds-db",
      terminator: "aws4_request",
      algorithm: "AWS4-HMAC-SHA256",
      expires: "900",
      signed: true,
    });
  });

  it("signs each user apart: another user, another signature", async () => {
    const sign = (user: string) =>
      rdsIamToken({ host: HOST, port: 5432, user, region: "eu-west-1", credentials: CREDENTIALS });
    const [a, b] = [await sign("precog_deployer"), await sign("precog_prod_migrator")];
    expect(new URL(`https://${a}`).searchParams.get("X-Amz-Signature")).not.toBe(
      new URL(`https://${b}`).searchParams.get("X-Amz-Signature"),
    );
  });
});

describe("the region signed for", () => {
  it.each([
    [HOST, "eu-west-1"],
    ["precog-staging.c9akciq32.us-east-1.rds.amazonaws.com", "us-east-1"],
    ["precog-prod.cluster-ro-abc.us-gov-west-1.rds.amazonaws.com", "us-gov-west-1"],
    ["localhost", undefined],
    ["precog-prod.proxy-abc.eu-west-1.rds.amazonaws.com.evil.example", undefined],
  ])("%s: %s", (host, region) => {
    expect(regionOfRdsHost(host)).toBe(region);
  });

  it("AWS_REGION, then AWS_DEFAULT_REGION, then the host's; else an error saying what to set", () => {
    expect(rdsIamRegion(HOST, { AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "ap-south-1" })).toBe("us-west-2");
    expect(rdsIamRegion(HOST, { AWS_DEFAULT_REGION: "ap-south-1" })).toBe("ap-south-1");
    expect(rdsIamRegion(HOST, {})).toBe("eu-west-1");
    expect(() => rdsIamRegion("db.internal", {})).toThrow(
      "Cannot tell the AWS region of db.internal for its IAM login token: set AWS_REGION to the instance's region.",
    );
  });
});
