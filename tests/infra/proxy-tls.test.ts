/**
 * The RDS Proxy's certificate comes from AWS Certificate Manager and chains to Amazon Trust Services'
 * roots, not to the RDS CA bundle the instance's certificate chains to. The app verifies the proxy
 * host in verify-full against the system's roots, which it gets by leaving DB_SSL_ROOT_CERT unset:
 * these are the facts that guidance rests on (docs/aws.md, "The proxy's certificate").
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { describe, expect, it } from "vitest";
import { sslOptions } from "../../src/env/tls";
import { RDS_CA_BUNDLE } from "./harness";

/** Amazon Trust Services' roots, which ACM's public certificates (the proxy's) chain to. */
const AMAZON_TRUST_SERVICES = [
  "Amazon Root CA 1",
  "Amazon Root CA 2",
  "Amazon Root CA 3",
  "Amazon Root CA 4",
  "Starfield Services Root Certificate Authority - G2",
];

const commonName = (pem: string) =>
  new X509Certificate(pem).subject
    .split("\n")
    .find((l) => l.startsWith("CN="))
    ?.slice(3);

describe("the proxy's certificate roots", () => {
  it("are in Node's default trust store, which verify-full uses when DB_SSL_ROOT_CERT is unset", () => {
    const system = rootCertificates.map(commonName);
    expect(AMAZON_TRUST_SERVICES.filter((cn) => !system.includes(cn))).toEqual([]);
    // No `ca`: Node verifies the chain against its default roots, and the host name as well.
    expect(sslOptions({ mode: "verify-full", rootCert: undefined }, true)).toEqual({ rejectUnauthorized: true });
  });

  it("are not in the RDS CA bundle: DB_SSL_ROOT_CERT set to it would refuse the proxy", () => {
    const bundle =
      readFileSync(RDS_CA_BUNDLE, "utf8").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(bundle).toHaveLength(29);
    const names = bundle.map(commonName);
    expect(names.filter((cn) => AMAZON_TRUST_SERVICES.includes(String(cn)))).toEqual([]);
    expect(names.every((cn) => /^Amazon RDS .+ Root CA RSA2048 G1$/.test(String(cn)))).toBe(true);
  });
});
