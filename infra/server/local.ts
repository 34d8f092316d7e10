/**
 * The local server kind: a PostgreSQL server on loopback that this program does not create
 * (scripts/local-pg.sh runs it). It only resolves the admin credentials, as secrets.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { LocalConfig } from "../../src/config/parse";
import { NAMESPACE } from "../../src/config/schema";
import type { ServerEndpoint } from "./endpoint";

/**
 * The endpoint of a local server. The admin password is the secret precog:adminPassword when set,
 * else the contents of precog:local.adminPasswordFile, relative to the project directory (where
 * Pulumi.yaml is; the engine runs the program from infra/, so the working directory is not it).
 */
export function localServer(
  local: LocalConfig,
  stack: string,
  projectDir = pulumi.runtime.getRootDirectory(),
): ServerEndpoint {
  return {
    host: local.host,
    port: local.port,
    adminHost: local.host,
    admin: {
      kind: "password",
      user: local.adminUser,
      password:
        new pulumi.Config(NAMESPACE).getSecret("adminPassword") ??
        pulumi.secret(readPasswordFile(resolve(projectDir, local.adminPasswordFile), stack)),
    },
    sslMode: local.sslMode,
    superuser: true,
    dependsOn: [],
  };
}

function readPasswordFile(path: string, stack: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `Stack "${stack}": the admin password file ${path} (precog:local.adminPasswordFile) does not exist. ` +
        `Start the local server with \`bash scripts/local-pg.sh start\`, which creates it, ` +
        `or set the password with \`pulumi config set --secret precog:adminPassword\`.`,
    );
  }
  const password = readFileSync(path, "utf8").trim();
  if (password === "")
    throw new Error(`Stack "${stack}": the admin password file ${path} (precog:local.adminPasswordFile) is empty.`);
  return password;
}
