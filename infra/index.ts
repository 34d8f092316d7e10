/**
 * Pulumi entry point: `pulumi up --stack <dev|test|staging|prod>`. See infra/program.ts.
 */
import { program } from "./program";

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
