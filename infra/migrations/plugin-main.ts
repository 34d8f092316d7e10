/**
 * The migration provider plugin's process (infra/migrations/plugin/pulumi-resource-precog-migrations
 * runs it): the SDK's closure tools deferred before the SDK loads, then the provider served over
 * gRPC to the engine.
 */
import "../build/sdk-tools-deferred";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { migrationsProvider } from "./plugin-provider";

const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../../../package.json"), "utf8"));
void main(migrationsProvider(version), process.argv.slice(2));
