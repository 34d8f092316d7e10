/**
 * No password in any server log: the real engine deploys the dev stack on a cluster that logs with
 * the RDS parameter group's own logging parameters (infra/server/audit-logging.ts: pgaudit for DDL
 * and role changes, log_statement=none), then passwords change the ways they change in life: the
 * provider's CREATE ROLE ... PASSWORD at creation, a rotation's ALTER ROLE ... PASSWORD, and a
 * password statement that fails. The server log then holds the audit lines for every role change
 * and none of the passwords.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLoggingParameters } from "../../infra/server/audit-logging";
import type { LocalCluster } from "../../testbed/local-cluster";
import { attempt, withAdmin } from "../../testbed/probes";
import { closeSuite, openSuite, type PulumiProject } from "../../testbed/pulumi-project";
import { stackFacts } from "../helpers/stack-facts";

const MINUTES = 60_000;
const t = stackFacts("dev");
const readonlyRole = `${t.database}_readonly`;
const migratorRole = `${t.database}_migrator`;
let project: PulumiProject;
let cluster: LocalCluster;

beforeAll(async () => {
  ({ project, cluster } = await openSuite(["dev"], auditLoggingParameters(true)));
  project.configure("dev", { "precog:local.pgaudit": true });
}, 30 * MINUTES);

afterAll(() => closeSuite(project, cluster));

const serverLog = () => readFileSync(cluster.logFile, "utf8");
const auditLines = (log: string) => log.split("\n").filter((l) => l.includes("AUDIT: SESSION"));

describe.sequential("a stack on a server logging as RDS does", () => {
  it("runs with pgaudit loaded and statement logging off", async () => {
    const settings = await withAdmin(async (c) => {
      const r = await c.query(
        "select name, setting from pg_settings where name in ('shared_preload_libraries', 'pgaudit.log', 'log_statement', 'log_min_error_statement')",
      );
      return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
    });
    expect(settings).toEqual({
      shared_preload_libraries: "pg_stat_statements,pgaudit",
      "pgaudit.log": "ddl,role",
      log_statement: "none",
      log_min_error_statement: "panic",
    });
  });

  it(
    "logs every role change the stack and a rotation make, and none of the passwords",
    async () => {
      await project.ok(["up", "--yes", "--skip-preview", "--stack", "dev"]);
      const out = await project.outputs("dev", true);
      const generated = ["migrator", "app", "readonly"].map((r) => out.credentials[r].password as string);
      expect(generated.every((p) => p.length === 40)).toBe(true);
      expect(
        await withAdmin(
          async (c) => (await c.query("select extname from pg_extension where extname = 'pgaudit'")).rowCount,
          t.database,
        ),
      ).toBe(1);

      // A rotation, as the rotation function sends it; then a password statement that fails.
      const rotated = "Rotated0ByTheRotationFunction0e2e0000001";
      await withAdmin((c) => c.query(`alter role ${t.appRole} with password '${rotated}'`));
      const refused = "Refused0PasswordOfARoleThatExists0000001";
      expect(await attempt(() => withAdmin((c) => c.query(`create role ${readonlyRole} password '${refused}'`)))).toBe(
        "42710",
      );

      const log = serverLog();
      for (const secret of [...generated, rotated, refused, cluster.password])
        expect(log.includes(secret), "a password in the server log").toBe(false);

      const audit = auditLines(log);
      for (const role of [migratorRole, t.appRole, readonlyRole]) {
        expect(
          audit.filter((l) => l.includes(",ROLE,CREATE ROLE,") && l.includes(`"${role}"`) && l.includes("<REDACTED>")),
          `the CREATE ROLE of ${role}`,
        ).toHaveLength(1);
      }
      expect(audit.filter((l) => l.includes(",ROLE,ALTER ROLE,") && /password/i.test(l))).toEqual([
        expect.stringContaining(`alter role ${t.appRole} with password <REDACTED>`),
      ]);
      expect(audit.some((l) => l.includes(",ROLE,GRANT,"))).toBe(true);
      expect(audit.some((l) => l.includes(",DDL,CREATE TABLE,"))).toBe(true);
      expect(log).toContain(`role "${readonlyRole}" already exists`);
    },
    15 * MINUTES,
  );
});
