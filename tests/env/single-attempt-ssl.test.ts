/**
 * The TLS options of a connection made in one attempt, its mode from config (the migration
 * component, the rotate command's admin login): libpq's first attempt in each mode, the same
 * certificate checks as the negotiated connections, and an unknown mode refused.
 */
import { describe, expect, it } from "vitest";
import { singleAttemptSsl } from "../../src/env/tls";

describe("singleAttemptSsl", () => {
  it("disable and allow start in plaintext", () => {
    expect(singleAttemptSsl("disable", undefined, "here")).toBe(false);
    expect(singleAttemptSsl("allow", undefined, "here")).toBe(false);
  });

  it("prefer and require encrypt without checking the certificate", () => {
    expect(singleAttemptSsl("prefer", undefined, "here")).toEqual({ rejectUnauthorized: false });
    expect(singleAttemptSsl("require", undefined, "here")).toEqual({ rejectUnauthorized: false });
  });

  it("verify-ca checks the chain only, verify-full the chain and the host name", () => {
    const ca = singleAttemptSsl("verify-ca", undefined, "here");
    expect(ca).toMatchObject({ rejectUnauthorized: true });
    expect(ca && typeof ca.checkServerIdentity).toBe("function");
    expect(singleAttemptSsl("verify-full", undefined, "here")).toEqual({ rejectUnauthorized: true });
  });

  it("refuses an unknown mode, naming where it came from", () => {
    expect(() => singleAttemptSsl("verify", undefined, "the migration component's connection")).toThrow(
      'the migration component\'s connection: sslmode "verify" is not one of disable, allow, prefer, require, verify-ca, verify-full.',
    );
  });
});
