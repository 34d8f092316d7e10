/**
 * The migration provider plugin's process (infra/migrations/plugin/pulumi-resource-precog-migrations
 * runs it): the modules it rarely uses deferred before the SDK loads (../build/defer-modules.ts),
 * then the provider served over gRPC to the engine.
 */
import "../build/modules-deferred";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { migrationsProvider } from "./plugin-provider";

const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../../../package.json"), "utf8"));
void main(migrationsProvider(version), process.argv.slice(2));
