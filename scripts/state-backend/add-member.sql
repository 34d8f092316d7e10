-- A login of the team's shared Pulumi state (docs/state.md): a member of the team's role, through
-- which it reads and writes the state. Created without a password when missing; the administrator
-- sets one with psql's \password <login> (psql hashes it before it leaves the client). Idempotent.
--
-- psql variables (scripts/state-backend.sh sets them): team_role, login.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION', :'login')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'login') \gexec

GRANT :"team_role" TO :"login";
