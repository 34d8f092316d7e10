/** The migration provider's inputs for a scratch database and a folder, as the component passes them. */
import type { MigrationsInputs } from "../../infra/migrations/contract";
import { providerConfig } from "../../infra/migrations/plugin/login";
import { migrationFolder } from "../../src/migrate";
import { clientConfig } from "../helpers/pg";

/**
 * `db` on the test server as the admin, without TLS, the files of `dir` (their digest and each one); `over` on
 * top. The admin's password goes where a local stack's is, the provider's config.
 */
export async function providerInputs(
  db: string,
  dir: string,
  over: Partial<MigrationsInputs> & Pick<MigrationsInputs, "environment" | "backup" | "operator">,
): Promise<MigrationsInputs> {
  const c = clientConfig(db);
  const folder = await migrationFolder(dir, false);
  providerConfig.current = { migratorPassword: String(c.password) };
  return {
    login: {
      kind: "provider-config",
      host: String(c.host),
      port: Number(c.port),
      database: db,
      user: String(c.user),
      sslMode: "disable",
    },
    dir,
    files: folder.digest,
    migrations: Object.fromEntries(folder.files().map((f) => [f.filename, f.checksum])),
    predecessor: null,
    predecessorApplied: null,
    ...over,
  };
}
