/**
 * The test fixtures' safety catch: they force the test environment, and refuse to touch a database
 * that is not a test database. The check asks the server for `current_database()` rather than
 * trusting DB_NAME, so a pool pointed at precog_prod by mistake is refused even with PRECOG_ENV
 * forced to test. "Test database" uses the environment rules themselves: a name from which
 * DB_NAME inference gives test (contains "test", and no other environment's name). A name proves
 * nothing by itself, so the database must also carry the marker a dev or test stack writes, or be
 * opted in by name (src/env/database-marker.ts).
 */
import type { ClientBase } from "pg";
import { assertThrowawayDatabase } from "../env/database-marker";
import { selectEnvironment } from "../env/environment";

/** Sets PRECOG_ENV=test in `env` (default `process.env`); returns the previous value. */
export function forceTestEnvironment(env: Record<string, string | undefined> = process.env): string | undefined {
  const previous = env.PRECOG_ENV;
  env.PRECOG_ENV = "test";
  return previous;
}

/** True when the rules would take a database with this name for a test database. */
export function isTestDatabaseName(name: string): boolean {
  try {
    return selectEnvironment({ DB_NAME: name }).env === "test";
  } catch {
    return false; // names two environments, e.g. prod_copy_for_test
  }
}

/** Throws unless the client is connected to a marked (or opted-in) test database; returns its name. */
export async function assertTestDatabase(client: Pick<ClientBase, "query">): Promise<string> {
  const { rows } = await client.query<{ db: string }>("SELECT current_database() AS db");
  const name = rows[0].db;
  if (!isTestDatabaseName(name)) {
    throw new Error(
      `Refusing to run test fixtures against database "${name}": it is not a test database ` +
        `(its name must contain "test" and no other environment's name). Point DB_NAME at a test database such as precog_test.`,
    );
  }
  await assertThrowawayDatabase(client, "test fixtures");
  return name;
}
