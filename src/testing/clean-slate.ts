/**
 * The clean slate for tests that must commit: empties the application's tables in foreign-key
 * dependency order, referencing tables before the tables they reference. The order is worked out
 * from the catalog (pg_class, pg_constraint) each time, not kept by hand, so a new migration
 * cannot leave it stale.
 *
 * By default it DELETEs table by table, because the application role holds DELETE but not
 * TRUNCATE; there the order matters (a parent's rows cannot go while children point at them).
 * `method: "truncate"` (owner or superuser) truncates them all in one statement and restarts
 * sequences. The migration history (schema precog_migrations) is never touched.
 */
import type { ClientBase } from "pg";
import { assertTestDatabase } from "./environment";

/** Schemas never emptied: the migration history, and PostgreSQL's own. */
export const KEPT_SCHEMAS: readonly string[] = ["precog_migrations", "pg_catalog", "information_schema"];

export interface CleanSlateOptions {
  /** Only these schemas. Default: every schema except KEPT_SCHEMAS, pg_toast and temp schemas. */
  readonly schemas?: readonly string[];
  /** Extra tables to leave alone, as `schema.table`. Default none. */
  readonly keep?: readonly string[];
  /** "delete" (default; needs DELETE) or "truncate" (needs TRUNCATE; restarts identities). */
  readonly method?: "delete" | "truncate";
}

type Query = Pick<ClientBase, "query">;

/**
 * The tables to empty, as `schema.table`, each listed before every table it references. Throws
 * naming the tables on a foreign-key cycle, which no deletion order can satisfy.
 */
export async function deletionOrder(client: Query, options: CleanSlateOptions = {}): Promise<string[]> {
  return (await planDeletion(client, options)).map((t) => t.name);
}

interface PlannedTable {
  /** `schema.table`, for messages. */
  readonly name: string;
  /** The same, quoted for SQL. */
  readonly quoted: string;
}

async function planDeletion(client: Query, options: CleanSlateOptions): Promise<PlannedTable[]> {
  const tables = await client.query<{ oid: string; name: string; quoted: string }>(
    `SELECT c.oid::text AS oid, format('%s.%s', n.nspname, c.relname) AS name, format('%I.%I', n.nspname, c.relname) AS quoted
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND ($2::text[] IS NULL OR n.nspname = ANY($2::text[]))
        -- tables that belong to an extension are the extension's business
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 2`,
    [KEPT_SCHEMAS, options.schemas ?? null],
  );
  const keep = new Set(options.keep ?? []);
  // referencedBy: tables whose rows point at this one; it may go once all of them have gone.
  const kept = tables.rows.filter((t) => !keep.has(t.name)).map((t) => ({ ...t, referencedBy: new Set<string>() }));
  const byOid = new Map(kept.map((t) => [t.oid, t]));
  const fks = await client.query<{ child: string; parent: string }>(
    `SELECT DISTINCT conrelid::oid::text AS child, confrelid::oid::text AS parent
       FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND conrelid <> confrelid`,
  );
  for (const { child, parent } of fks.rows) {
    if (byOid.has(child)) byOid.get(parent)?.referencedBy.add(child);
  }
  const order: PlannedTable[] = [];
  const done = new Set<string>();
  while (done.size < kept.length) {
    // Alphabetical among the ready ones, so the order is stable from run to run.
    const ready = kept.filter((t) => !done.has(t.oid) && [...t.referencedBy].every((c) => done.has(c)));
    if (ready.length === 0) {
      const stuck = kept.filter((t) => !done.has(t.oid)).map((t) => t.name);
      throw new Error(
        `Foreign keys form a cycle among ${stuck.join(", ")}: no deletion order exists. ` +
          `Use cleanSlate(client, { method: "truncate" }) as the owner, or make one key DEFERRABLE.`,
      );
    }
    ready.sort((a, b) => a.name.localeCompare(b.name));
    for (const t of ready) {
      done.add(t.oid);
      order.push({ name: t.name, quoted: t.quoted });
    }
  }
  return order;
}

/**
 * Empties the application's tables (see the module header) after checking that the client is
 * connected to a test database. Returns the tables in the order they were emptied. Runs in the
 * caller's transaction if there is one; otherwise each DELETE commits on its own.
 */
export async function cleanSlate(client: Query, options: CleanSlateOptions = {}): Promise<string[]> {
  await assertTestDatabase(client);
  const order = await planDeletion(client, options);
  const names = order.map((t) => t.name);
  if (order.length === 0) return names;
  if (options.method === "truncate") {
    await client.query(`TRUNCATE ${order.map((t) => t.quoted).join(", ")} RESTART IDENTITY`);
    return names;
  }
  for (const table of order) {
    try {
      await client.query(`DELETE FROM ${table.quoted}`);
    } catch (cause) {
      throw new Error(`cleanSlate could not empty ${table.name}: ${(cause as Error).message}`, { cause });
    }
  }
  return names;
}
