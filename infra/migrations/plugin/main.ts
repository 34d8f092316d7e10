/**
 * The migration provider plugin's process (infra/migrations/plugin/pulumi-resource-precog-migrations
 * runs its bundle, ../startup/bundle-plugin.ts): the provider served over gRPC to the engine, with a
 * log back to it, and its own config (./provider-config.ts).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { engineAddressOf, engineLog } from "./engine-log";
import { serveConfig } from "./provider-config";
import { migrationsProvider } from "./server";

const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../../../package.json"), "utf8"));
const args = process.argv.slice(2);
serveConfig();
void main(migrationsProvider(version, engineLog(engineAddressOf(args))), args);
