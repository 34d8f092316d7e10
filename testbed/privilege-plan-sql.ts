/**
 * The stack's privilege plan (infra/database/privileges.ts: PUBLIC revoked, data privileges only,
 * default privileges on what the owner creates) as the SQL statements the postgresql provider
 * issues for it, for databases the tests make without a provider. Run them connected to `database`.
 */
import { APP_SCHEMA, DEFAULT_PRIVILEGES, GRANTS, type Grantee } from "../infra/database/privileges";

export function privilegePlanSql(database: string, owner: string, grantee: Record<Grantee, string>): string[] {
  const sql: string[] = [];
  for (const g of GRANTS) {
    const on = {
      database: `DATABASE ${database}`,
      schema: `SCHEMA ${APP_SCHEMA}`,
      table: `ALL TABLES IN SCHEMA ${APP_SCHEMA}`,
      sequence: `ALL SEQUENCES IN SCHEMA ${APP_SCHEMA}`,
    }[g.objectType];
    sql.push(`REVOKE ALL ON ${on} FROM ${grantee[g.grantee]}`);
    if (g.privileges.length > 0) sql.push(`GRANT ${g.privileges.join(", ")} ON ${on} TO ${grantee[g.grantee]}`);
  }
  for (const d of DEFAULT_PRIVILEGES) {
    const objects = { table: "TABLES", sequence: "SEQUENCES", function: "FUNCTIONS" }[d.objectType];
    const scope = `FOR ROLE ${owner}${d.allSchemas ? "" : ` IN SCHEMA ${APP_SCHEMA}`}`;
    sql.push(`ALTER DEFAULT PRIVILEGES ${scope} REVOKE ALL ON ${objects} FROM ${grantee[d.grantee]}`);
    if (d.privileges.length > 0)
      sql.push(
        `ALTER DEFAULT PRIVILEGES ${scope} GRANT ${d.privileges.join(", ")} ON ${objects} TO ${grantee[d.grantee]}`,
      );
  }
  return sql;
}
