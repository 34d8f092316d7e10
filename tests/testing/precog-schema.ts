/**
 * Precog's real schema in a provisioned test database: migrations/*.sql applied with the project's
 * migration engine (src/migrate), as the owner role, the way the test stack runs them.
 */
import { resolve } from "node:path";
import { migrate } from "../../src/migrate";
import type { ProvisionedTestDb } from "../../testbed/provision-test-db";

export const MIGRATIONS_DIR = resolve(__dirname, "../../migrations");

/** Applies every migration as the database's owner; returns the applied versions. */
export async function applyPrecogSchema(db: ProvisionedTestDb): Promise<string[]> {
  const result = await migrate({
    connection: {
      host: db.host,
      port: db.port,
      user: db.owner.user,
      password: db.owner.password,
      database: db.database,
    },
    dir: MIGRATIONS_DIR,
    environment: "test",
    checksumCache: false,
    applicationName: "precog-test-schema",
  });
  return result.applied.map((m) => m.version);
}
