/**
 * The checks every engine entry point makes before it connects, so a library caller meets the
 * same refusals as the command: the target database's name must not point at
 * another environment than the one it claims (a stale PRECOG_ENV=dev must not reach precog_prod),
 * and prod needs PRECOG_PROD_CONFIRMED=yes unless the caller checked it already.
 */
import { assertDatabaseMatches, assertProdConfirmed, type Environment, isEnvironment } from "../env/environment";
import { type Connection, databaseOf } from "./pg";

export interface GuardInput {
  readonly environment: Environment;
  readonly connection: Connection;
  /** Set by callers that checked PRECOG_PROD_CONFIRMED themselves. */
  readonly prodConfirmed?: boolean;
}

/** Throws before anything connects when the target is the wrong database or unconfirmed prod. */
export function guardTarget(input: GuardInput, action: string): void {
  if (!isEnvironment(input.environment)) {
    throw new Error(`environment: "${String(input.environment)}" is not one of dev, test, staging, prod`);
  }
  assertDatabaseMatches(input.environment, databaseOf(input.connection), "the connection's database");
  if (!input.prodConfirmed) assertProdConfirmed(input.environment, action);
}
