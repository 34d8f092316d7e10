/**
 * Sessions start from a known state: the server's, the database's and the role's settings, never
 * the caller's environment. node-postgres sends PGOPTIONS (`-c search_path=elsewhere -c
 * timezone=...`) in the startup packet whenever a connection's own settings give no `options`, and
 * a setting given at startup is the session's default, which even RESET ALL returns to: the same
 * migration files would build their objects elsewhere. Every client the project opens passes
 * through here: the command's and the migration component's sessions (src/migrate/pg.ts) and the
 * app pool's (src/app/client.ts). pg_dump, which is libpq and also reads PGTZ, PGDATESTYLE,
 * PGCLIENTENCODING and the rest, runs with no PG variable of the caller's (src/migrate/backup.ts).
 */

/** What pg's Client keeps of its settings and sends at connect time (pg 8's ConnectionParameters). */
interface StartupParameters {
  options?: string;
}

/**
 * Makes a pg Client, just constructed from `requested` (the settings the project gave it), start its
 * session with only the startup options the project asked for: none of PGOPTIONS.
 */
export function startFromKnownState(client: object, requested: { readonly options?: string }): void {
  const params = (client as { connectionParameters?: StartupParameters }).connectionParameters;
  if (params === undefined) {
    throw new Error("pg's Client has no connectionParameters: the pg version changed; check src/env/session.ts");
  }
  params.options = requested.options || undefined;
}
