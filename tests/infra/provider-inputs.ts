/** The migration provider's inputs for a scratch database and a folder, as the component passes them. */
import type { MigrationsInputs } from "../../infra/migrations/contract";
import { migrationFiles } from "../../src/migrate";
import { clientConfig } from "../helpers/pg";

/** `db` on the test server as the admin, without TLS, every file of `dir` in `migrations`; `over` on top. */
export async function providerInputs(
  db: string,
  dir: string,
  over: Partial<MigrationsInputs> & Pick<MigrationsInputs, "environment" | "backup" | "operator">,
): Promise<MigrationsInputs> {
  const c = clientConfig(db);
  const files = await migrationFiles(dir, false);
  return {
    connection: {
      host: String(c.host),
      port: Number(c.port),
      database: db,
      user: String(c.user),
      password: String(c.password),
      sslMode: "disable",
    },
    dir,
    migrations: Object.fromEntries(files.map((f) => [f.filename, f.checksum])),
    predecessor: null,
    predecessorApplied: null,
    preview: false,
    ...over,
  };
}
