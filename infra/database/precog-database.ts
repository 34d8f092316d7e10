/**
 * PrecogDatabase: one environment's database on a server, with its roles and privileges.
 * Creates the admin provider connection; two roles that cannot log in, the database's owner
 * (`<database>_dbowner`, of which no role is a member) and the owner of the schema's objects
 * (`<database>_owner`); the migrator, app and read-only login roles with CONNECTION LIMITs, the
 * migrator a member of the owner (migrations act as it with SET ROLE); the database; and the
 * privilege plan in ./privileges.ts; and, on dev and test, the environment's marker on the
 * database, the function `public.precog_environment()` naming it (src/env/database-marker.ts),
 * created by the admin: the proof the helpers that wipe data ask for before they run. Staging and
 * prod get none: without a marker those helpers refuse, which is what they must do there.
 *
 * Why two owners: PostgreSQL lets any member of a database's owner drop it (PG 15: with SET ROLE
 * when the member does not inherit). The objects' owner has a member, the migrator; the
 * database's owner has none, so no login of the stack can drop the database, only the admin.
 *
 * On an aws server the provider logs in as the deployer by IAM (no password), and the logins of
 * `iamLogins` (the migrator) have no password and are granted `rds_iam`: they log in by IAM only.
 *
 * Login passwords are written at creation only (`ignoreChanges: ["password"]`): rotation, by
 * Secrets Manager or by hand, owns them afterwards and a later `pulumi up` never resets them.
 * The roles without login have no password (on a stack from before the split, the next
 * `pulumi up` takes the owner's LOGIN away; the provider leaves its old password in place, which
 * no longer opens a session).
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionLimits } from "../../src/config/parse";
import { MARKER_FUNCTION, markerBody } from "../../src/env/database-marker";
import { type Environment, PROTECTED_ENVIRONMENTS } from "../../src/env/environment";
import { migrationLogin, type RoleNames } from "../../src/env/roles";
import { LOGIN_ROLES, type LoginRole, mapRoles, type Passwords } from "../credentials/passwords";
import type { ServerEndpoint } from "../server/endpoint";
import { APP_SCHEMA, DEFAULT_PRIVILEGES, GRANTS, type Grantee, SEARCH_PATH } from "./privileges";

/** RDS's role whose members log in by IAM database authentication only. */
export const RDS_IAM = "rds_iam";

/** A login role's session limits, set on the role (ALTER ROLE ... SET). */
export interface SessionTimeouts {
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
}

export interface PrecogDatabaseArgs {
  readonly endpoint: ServerEndpoint;
  /** The environment the database's marker names. */
  readonly environment: Environment;
  readonly database: string;
  readonly roles: RoleNames;
  /** The password of each login role that has one. */
  readonly passwords: Passwords;
  /** The login roles granted `rds_iam` (IAM database authentication only, no password); none on a local server. */
  readonly iamLogins: readonly LoginRole[];
  readonly connectionLimits: ConnectionLimits;
  readonly timeouts: Readonly<Record<LoginRole, SessionTimeouts>>;
  /** Protect the database and roles from deletion by Pulumi. */
  readonly protect: boolean;
  /** The server loads pgaudit: create its extension in the database (its DDL event triggers need it). */
  readonly pgaudit: boolean;
}

export class PrecogDatabase extends pulumi.ComponentResource {
  readonly database: pulumi.Output<string>;
  readonly roles: Readonly<Record<keyof RoleNames, pulumi.Output<string>>>;
  /** Every role: the two without login and the three login roles. */
  readonly roleResources: readonly pulumi.Resource[];
  /** Every privilege change: what must exist before the owner creates objects. */
  readonly privileges: readonly pulumi.Resource[];
  /** The extensions created in the database (pgaudit, when the server loads it). */
  readonly extensions: readonly pulumi.Resource[];
  /** The environment's marker on the database (src/env/database-marker.ts); none on staging and prod. */
  readonly marker: pulumi.Resource | undefined;

  constructor(name: string, args: PrecogDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("precog:database:PrecogDatabase", name, {}, opts);
    const parent = this;
    const { endpoint, protect } = args;

    const { admin } = endpoint;
    const provider = new postgresql.Provider(
      `${name}-admin`,
      {
        host: endpoint.adminHost,
        port: endpoint.port,
        username: admin.user,
        ...(admin.kind === "password"
          ? { password: admin.password }
          : { awsRdsIamAuth: true, awsRdsIamRegion: admin.region }),
        database: "postgres",
        sslmode: endpoint.sslMode,
        sslrootcert: endpoint.sslRootCert,
        superuser: endpoint.superuser,
        connectTimeout: 15,
      },
      { parent, dependsOn: [...endpoint.dependsOn] },
    );

    const createOwningRole = (role: "databaseOwner" | "owner") =>
      new postgresql.Role(
        `${name}-role-${role}`,
        {
          name: args.roles[role],
          login: false,
          createDatabase: false,
          createRole: false,
          inherit: true,
          superuser: false,
          replication: false,
        },
        { parent, provider, protect },
      );
    const databaseOwner = createOwningRole("databaseOwner");
    const owner = createOwningRole("owner");
    // The login migrations use is a member of the owner, which they act as (SET ROLE); no other is.
    const migrating = migrationLogin(mapRoles((r) => r));
    const logins = mapRoles(
      (role) =>
        new postgresql.Role(
          `${name}-role-${role}`,
          {
            name: args.roles[role],
            login: true,
            password: args.passwords[role],
            connectionLimit: args.connectionLimits[role],
            createDatabase: false,
            createRole: false,
            inherit: true,
            superuser: false,
            replication: false,
            roles: [...(role === migrating ? [owner.name] : []), ...(args.iamLogins.includes(role) ? [RDS_IAM] : [])],
            searchPaths: [...SEARCH_PATH],
            statementTimeout: args.timeouts[role].statementTimeoutMs,
            idleInTransactionSessionTimeout: args.timeouts[role].idleInTransactionTimeoutMs,
          },
          { parent, provider, protect, ignoreChanges: ["password"] },
        ),
    );

    const database = new postgresql.Database(
      `${name}-database`,
      {
        name: args.database,
        owner: databaseOwner.name,
        encoding: "UTF8",
        template: "template0",
        allowConnections: true,
      },
      { parent, provider, protect },
    );

    const grantees: Record<Grantee, pulumi.Input<string>> = {
      owner: owner.name,
      app: logins.app.name,
      readonly: logins.readonly.name,
      public: "public",
    };
    const inTurn = oneChangeAtATime();
    const privileges: pulumi.Resource[] = [];
    for (const g of GRANTS) {
      privileges.push(
        inTurn(
          `${g.objectType} privileges`,
          (after) =>
            new postgresql.Grant(
              `${name}-grant-${g.key}`,
              {
                database: database.name,
                role: grantees[g.grantee],
                objectType: g.objectType,
                schema: g.objectType === "database" ? undefined : APP_SCHEMA,
                objects: g.objectType === "table" || g.objectType === "sequence" ? [] : undefined,
                privileges: [...g.privileges],
              },
              { parent, provider, dependsOn: after, deleteBeforeReplace: true },
            ),
        ),
      );
    }
    for (const d of DEFAULT_PRIVILEGES) {
      privileges.push(
        inTurn(
          `default ${d.objectType} privileges`,
          (after) =>
            new postgresql.DefaultPrivileges(
              `${name}-default-${d.key}`,
              {
                database: database.name,
                owner: owner.name,
                role: grantees[d.grantee],
                schema: d.allSchemas ? undefined : APP_SCHEMA,
                objectType: d.objectType,
                privileges: [...d.privileges],
              },
              { parent, provider, dependsOn: after, deleteBeforeReplace: true },
            ),
        ),
      );
    }

    this.marker = PROTECTED_ENVIRONMENTS.includes(args.environment)
      ? undefined
      : new postgresql.Function(
          `${name}-environment-marker`,
          {
            database: database.name,
            schema: MARKER_FUNCTION.schema,
            name: MARKER_FUNCTION.name,
            returns: "text",
            language: "sql",
            volatility: "IMMUTABLE",
            body: markerBody(args.environment),
          },
          { parent, provider, dependsOn: privileges },
        );
    this.extensions = args.pgaudit
      ? [
          new postgresql.Extension(
            `${name}-extension-pgaudit`,
            { name: "pgaudit", database: database.name },
            { parent, provider },
          ),
        ]
      : [];
    this.privileges = privileges;
    this.roleResources = [databaseOwner, owner, ...LOGIN_ROLES.map((r) => logins[r])];
    this.database = database.name;
    this.roles = {
      databaseOwner: databaseOwner.name,
      owner: owner.name,
      ...mapRoles((r) => logins[r].name),
    };
    this.registerOutputs({ database: this.database });
  }
}

/**
 * PostgreSQL refuses two concurrent changes to the same catalog row ("tuple concurrently updated"):
 * the privileges of one database, of one schema, of the tables or of the sequences in it, or an
 * owner's default privileges for one kind of object. The engine runs independent resources in
 * parallel, so each change to the same object waits for the one before it (it is created with
 * `dependsOn` that one); changes to different objects still run side by side.
 *
 * Each Grant and DefaultPrivileges is also deleted before its replacement is created
 * (`deleteBeforeReplace`): each manages one whole row (a role's privileges on a kind of object, an
 * owner's defaults for a grantee), so creating the new one first and deleting the old one after
 * would revoke what the new one had just granted.
 */
function oneChangeAtATime() {
  const last = new Map<string, pulumi.Resource>();
  return (object: string, create: (after: pulumi.Resource[]) => pulumi.Resource): pulumi.Resource => {
    const before = last.get(object);
    const created = create(before ? [before] : []);
    last.set(object, created);
    return created;
  };
}
