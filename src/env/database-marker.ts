/**
 * The proof that a database is throwaway (issue 30, item 5). A name proves nothing: environment
 * selection takes a name containing "test" for the test environment, but `precog_latest` or a
 * restored copy can hold real data. So the helpers that wipe data (`dangerousOperation`,
 * `cleanSlate` and the fixtures) ask the database itself:
 * - the marker the stack writes on it: the function `public.precog_environment()`, created by the
 *   stack's admin connection with the database (infra/database/precog-database.ts), whose body
 *   names the environment (`SELECT 'test'::text`); testbed/ writes the same marker on the test
 *   databases it makes as the test stack would;
 * - or, for a database no stack made, an explicit opt-in in the test configuration's environment:
 *   PRECOG_UNMARKED_THROWAWAY_DATABASE set to exactly that database's name.
 * Anything else is refused, naming the database and what its marker said.
 */
import { type Environment, isEnvironment, PROTECTED_ENVIRONMENTS } from "./environment";

/** Where the marker lives. */
export const MARKER_FUNCTION = { schema: "public", name: "precog_environment" } as const;

/** The opt-in for a database no stack made: the variable, set to the database's exact name. */
export const THROWAWAY_OPT_IN = "PRECOG_UNMARKED_THROWAWAY_DATABASE";

/** The marker function's body for `env`: what the stack writes, and what is read back. */
export function markerBody(env: Environment): string {
  return `SELECT '${env}'::text`;
}

/** The marker as one SQL statement, for databases made without the postgresql provider (testbed/). */
export function markerSql(env: Environment): string {
  return (
    `CREATE OR REPLACE FUNCTION ${MARKER_FUNCTION.schema}.${MARKER_FUNCTION.name}() RETURNS text ` +
    `LANGUAGE sql IMMUTABLE AS $marker$${markerBody(env)}$marker$`
  );
}

/** What a database says about itself. */
export interface DatabaseMarker {
  readonly database: string;
  /** The environment the marker names; undefined when there is no marker or it names none. */
  readonly environment: Environment | undefined;
  /** The marker as seen, for messages: `missing`, or its body. */
  readonly seen: string;
}

type Queryable = { query<R>(sql: string): Promise<{ rows: R[] }> };

/** Reads the connected database's name and marker. */
export async function readDatabaseMarker(client: Queryable): Promise<DatabaseMarker> {
  const { rows } = await client.query<{ database: string; body: string | null }>(
    "SELECT current_database() AS database, (SELECT p.prosrc FROM pg_catalog.pg_proc p " +
      "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace " +
      `WHERE n.nspname = '${MARKER_FUNCTION.schema}' AND p.proname = '${MARKER_FUNCTION.name}' AND p.pronargs = 0) AS body`,
  );
  const { database, body } = rows[0];
  if (body === null) return { database, environment: undefined, seen: "missing" };
  const named = /^\s*SELECT\s+'([a-z]+)'::text\s*;?\s*$/i.exec(body)?.[1];
  return { database, environment: named !== undefined && isEnvironment(named) ? named : undefined, seen: body.trim() };
}

/**
 * Throws unless the connected database is marked as an unprotected environment's (dev, test), or
 * the opt-in names it; returns what established it.
 */
export async function assertThrowawayDatabase(
  client: Queryable,
  operation: string,
  vars: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ readonly database: string; readonly by: Environment | "opt-in" }> {
  const marker = await readDatabaseMarker(client);
  const { database, environment } = marker;
  if (environment !== undefined && !PROTECTED_ENVIRONMENTS.includes(environment)) return { database, by: environment };
  if (environment === undefined && vars[THROWAWAY_OPT_IN] === database) return { database, by: "opt-in" };
  const said =
    marker.seen === "missing"
      ? `it has no marker (no function ${MARKER_FUNCTION.schema}.${MARKER_FUNCTION.name}(), which a dev or test stack writes)`
      : environment === undefined
        ? `its marker ${MARKER_FUNCTION.schema}.${MARKER_FUNCTION.name}() names no environment ("${marker.seen}")`
        : `its marker ${MARKER_FUNCTION.schema}.${MARKER_FUNCTION.name}() says ${environment}`;
  const optIn =
    environment === undefined
      ? `; for a database no stack made, opt in with ${THROWAWAY_OPT_IN}=${database} in the test configuration's environment`
      : "";
  throw new Error(
    `Refusing to run ${operation} on database "${database}": ${said}, so nothing proves it is a dev or test database ` +
      `(its name alone does not). Use a database a dev or test stack made${optIn}.`,
  );
}
