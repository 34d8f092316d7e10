/** The migration resource's inputs as a local dev stack's program gives them, for the provider's tests on a real server. */
import { providerConfig } from "../../infra/migrations/plugin/login";
import { listDigest, migrationFiles } from "../../src/migrate";
import { adminConfig } from "./pg";

/**
 * The wire inputs of a dev resource applying `dir` to `database` as the admin, its password put in
 * the provider's config (as the engine's Configure does on a local stack).
 */
export async function devProviderInputs(dir: string, database: string) {
  const { host, port, user, password } = adminConfig();
  providerConfig.current = { migratorPassword: password };
  return {
    environment: "dev",
    login: { kind: "provider-config", host, port, database, user, sslMode: "disable" },
    dir,
    files: listDigest(await migrationFiles(dir, false)),
    predecessor: null,
    predecessorApplied: null,
    backup: { kind: "none" },
    operator: "test",
  };
}
