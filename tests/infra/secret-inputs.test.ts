/**
 * Issue 30, item 11: `pulumi up --debug` must not print a password. The engine prints inputs it
 * was given as plain values; one sent as a secret it shows as [secret]. So every password the
 * program handles (each role's generated one, the local admin's, RDS's master one, a rotated one)
 * must reach every resource and provider only inside a secret: never in a plain input, and never
 * inside a plain string built from it (a URL, an env string, a JSON document). Checked on every
 * input of every resource of the four stacks under Pulumi's mocks, which receive secrets marked.
 */
import { describe, expect, it } from "vitest";
import { secretFree } from "../../infra/startup/secret-free-debug-log";
import { adminPasswordFile } from "../helpers/password-file";
import { MASTER_PASSWORD, ROTATED_PASSWORD, runStack, STACKS } from "./harness";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const ADMIN_PASSWORD = "local-admin-password-for-secret-scan";
const PASSWORD_FILE = adminPasswordFile(ADMIN_PASSWORD);

/** Every password a stack's program sees under the mocks. */
const PASSWORD = new RegExp(
  [/pw-precog-[a-z]+-password-[a-z]+-plaintext/.source, ADMIN_PASSWORD, MASTER_PASSWORD, ROTATED_PASSWORD].join("|"),
);

/** Paths of plain (not secret) strings under `value` that hold a password. */
function plainPasswords(value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return PASSWORD.test(value) ? [path] : [];
  if (typeof value !== "object") return [];
  if ((value as Record<string, unknown>)[SECRET_SIG] !== undefined) return []; // sent as a secret
  if (Array.isArray(value)) return value.flatMap((v, i) => plainPasswords(v, `${path}[${i}]`));
  return Object.entries(value).flatMap(([k, v]) => plainPasswords(v, path ? `${path}.${k}` : k));
}

describe.each(STACKS)("stack %s", (stack) => {
  it("sends no password to any resource or provider outside a secret", async () => {
    const local = stack === "dev" || stack === "test" ? { "precog:local.adminPasswordFile": PASSWORD_FILE } : {};
    const r = await runStack(stack, { config: local, vars: { PRECOG_PROD_CONFIRMED: "yes", USER: "tester" } });
    const leaks = r.resources.flatMap((x) => plainPasswords(x.inputs, "").map((p) => `${x.type} ${x.name}: ${p}`));
    expect(leaks).toEqual([]);
    // The scan sees the passwords where they are: the roles' inputs, as secrets.
    const role = r.resources.find((x) => x.name === `precog-${stack}-db-role-app`);
    expect(JSON.stringify(role?.inputs.password)).toContain(SECRET_SIG);
  });
});

describe("the program's debug log (the SDK logs each RPC's response, outputs and all)", () => {
  it("cuts a message off before the part that holds a secret, and leaves the others alone", () => {
    const role = `resource:precog-dev-db-role-app[postgresql:index/role:Role]`;
    expect(
      secretFree(
        `RegisterResource RPC finished: ${role}; err: null, resp: urn:...,password,,,${SECRET_SIG},,,1b47,value,,,pw-precog-dev-password-app-plaintext`,
      ),
    ).toBe(`RegisterResource RPC finished: ${role}; err: null (the rest is not shown: it holds a secret)`);
    expect(secretFree(`RegisterResourceOutputs RPC finished: urn=x; outputs: ${SECRET_SIG} admin-pw`)).toBe(
      "RegisterResourceOutputs RPC finished: urn=x; outputs: (the rest is not shown: it holds a secret)",
    );
    expect(secretFree(`RegisterResource RPC finished: ${role}; err: null, resp: urn:...,name,,,app`)).toBe(
      `RegisterResource RPC finished: ${role}; err: null, resp: urn:...,name,,,app`,
    );
  });
});
