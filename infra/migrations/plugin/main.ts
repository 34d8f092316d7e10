/**
 * The migration provider plugin's process (./pulumi-resource-precog-migrations runs ./start.ts, which
 * runs the bundle made from this file, ../../startup/bundle-plugin.ts): the provider served over gRPC to the engine, with a
 * log back to it, its own config (./provider-config.ts), its previews (./previews.ts), for as long as the engine lives
 * (./engine-watch.ts): when it goes away, migration runs stop after their current migration
 * (rolled back if it was running) and the process ends.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { stopMigrations, whenIdle } from "../../../src/migrate/stop";
import { engineAddressOf, engineLog } from "./engine-log";
import { watchEngine } from "./engine-watch";
import { servePreviews } from "./previews";
import { serveConfig } from "./provider-config";
import { migrationsProvider } from "./server";

const { version } = JSON.parse(readFileSync(resolve(__dirname, "../../../../package.json"), "utf8"));
const args = process.argv.slice(2);
const log = engineLog(engineAddressOf(args));
serveConfig((impl) => servePreviews(impl, log));
watchEngine((reason) => {
  process.stderr.write(`precog-migrations: ${reason}: applying no further migration, then exiting.\n`);
  stopMigrations(reason);
  void whenIdle().then(() => process.exit(0));
});
void main(migrationsProvider(version, log), args);
