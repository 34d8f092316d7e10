/**
 * Pulumi entry point: `pulumi up --stack <dev|test|staging|prod>`. Pulumi runs the compiled form,
 * dist/pulumi/infra/index.js (see Pulumi.yaml); infra/program.ts is the program.
 */
// First, before anything loads the Pulumi SDK: modules a run rarely uses load only if used.
import "./build/modules-deferred";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { assertBuildCurrent } from "./build/source-digest";
import { program } from "./program";

try {
  assertBuildCurrent(resolve(__dirname, "../../.."));
} catch (e) {
  throw new pulumi.RunError((e as Error).message);
}
const outputs = program();

export const environment = outputs.environment;
export const server = outputs.server;
export const host = outputs.host;
export const port = outputs.port;
export const proxyHost = outputs.proxyHost;
export const database = outputs.database;
export const roles = outputs.roles;
export const pool = outputs.pool;
export const connectionLimits = outputs.connectionLimits;
export const credentials = outputs.credentials;
export const instanceId = outputs.instanceId;
export const instanceArn = outputs.instanceArn;
export const masterSecretArn = outputs.masterSecretArn;
export const logGroup = outputs.logGroup;
export const migrations = outputs.migrations;
export const schemaVersion = outputs.schemaVersion;
