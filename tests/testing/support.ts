/**
 * Shared pieces of the test-support tests: a provisioned test database per file (see
 * testbed/provision-test-db.ts), SQL run as its owner (as migrations would), and a count
 * seen from a separate superuser connection, i.e. what is committed.
 */
import { afterAll, beforeAll } from "vitest";
import { withClient } from "../../testbed/client";
import { type ProvisionedTestDb, provisionTestDatabase } from "../../testbed/provision-test-db";
import { adminConfig, withAdmin } from "../helpers/pg";

/** Provisions a database for the calling file and runs `ownerSql` in it as the owner role. */
export function useTestDatabase(ownerSql = ""): { current: ProvisionedTestDb } {
  const holder = {} as { current: ProvisionedTestDb };
  beforeAll(async () => {
    const { host, port, user, password } = adminConfig();
    holder.current = await provisionTestDatabase({ host, port, user, password });
    if (ownerSql !== "") await asOwner(holder.current, ownerSql);
  });
  afterAll(async () => {
    await holder.current?.drop();
  });
  return holder;
}

export async function asOwner(db: ProvisionedTestDb, sql: string): Promise<void> {
  await withClient(db.config(db.owner), (c) => c.query(sql));
}

/** Committed rows in `table`, counted by the superuser on its own connection. */
export async function committedRows(db: ProvisionedTestDb, table: string, where = "true"): Promise<number> {
  return withAdmin(
    async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`)).rows[0].n,
    db.database,
  );
}
