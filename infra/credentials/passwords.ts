/**
 * One generated password per login role that logs in by password (the roles without login have
 * none; on aws stacks the migrator logs in by IAM and has none either: src/env/roles.ts `loginMethod`). random.RandomPassword keeps `result` secret in state and
 * outputs; nothing else in the program ever sees it as plaintext.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { LOGIN_ROLES, type LoginRole, loginMethod } from "../../src/env/roles";

export { LOGIN_ROLES, type LoginRole } from "../../src/env/roles";

/** One value per login role, made by `fn` in LOGIN_ROLES' order: what keeps a new role one line. */
export function mapRoles<T>(fn: (role: LoginRole) => T): Record<LoginRole, T> {
  return Object.fromEntries(LOGIN_ROLES.map((r) => [r, fn(r)])) as Record<LoginRole, T>;
}

/**
 * Every printable ASCII character that is not a letter or a digit: what a rotated password must not
 * hold either, so that the promise above survives rotation. AWS's rotation function is given these
 * as its `excludeCharacters` (./rotation.ts); it never uses a space.
 */
export const PASSWORD_EXCLUDED_CHARACTERS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** A password per login role that has one; none for a role that logs in by IAM. */
export type Passwords = Readonly<Partial<Record<LoginRole, pulumi.Output<string>>>>;

/**
 * 40 characters from letters and digits: no character needs escaping in a URL, a .env file or a
 * libpq connection string, and 40 alphanumerics carry about 238 bits.
 */
export function createPasswords(
  name: string,
  parent: pulumi.Resource,
  protect: boolean,
  server: "local" | "aws",
): Passwords {
  return Object.fromEntries(
    LOGIN_ROLES.filter((role) => loginMethod(role, server) === "password").map((role) => [
      role,
      new random.RandomPassword(`${name}-password-${role}`, { length: 40, special: false }, { parent, protect }).result,
    ]),
  );
}
