-- The team's shared Pulumi state: the database, schema, table and role that the Pulumi CLI's
-- self-managed postgres:// backend uses (docs/state.md). Run by scripts/state-backend.sh as an
-- administrator (a superuser, or RDS's master user); idempotent, so a second run changes nothing.
--
-- psql variables (the script sets them): database, team_role, schema, table.
--
-- Least privilege: the team's role (NOLOGIN; people and CI log in as its members) owns the schema
-- and the table, since the CLI runs CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS on
-- every connection, which need CREATE on the schema and ownership of the table even when both
-- exist. No other role may connect to the database (PUBLIC's CONNECT and TEMPORARY revoked), use
-- the public schema or read the table. Superusers and the database's owner (the administrator)
-- remain able to, as everywhere in PostgreSQL.
\set ON_ERROR_STOP on
\set index :table '_key_prefix_idx'

SELECT format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION', :'team_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'team_role') \gexec

SELECT format('CREATE DATABASE %I ENCODING ''UTF8'' TEMPLATE template0', :'database')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec

REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"team_role";
-- The CLI names its table unqualified (the URL's table= parameter, default pulumi_state).
ALTER DATABASE :"database" SET search_path = :"schema";

\connect :"database"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"team_role";
ALTER SCHEMA :"schema" OWNER TO :"team_role";
REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;

-- The CLI's own definition (pkg/backend/diy/postgres/schema.sql at the locked CLI version), made
-- here so that the team's role owns it whichever member logs in first.
CREATE TABLE IF NOT EXISTS :"schema".:"table" (
    key TEXT PRIMARY KEY,
    data JSON NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS :"index" ON :"schema".:"table" (key text_pattern_ops);
ALTER TABLE :"schema".:"table" OWNER TO :"team_role";
REVOKE ALL ON TABLE :"schema".:"table" FROM PUBLIC;
