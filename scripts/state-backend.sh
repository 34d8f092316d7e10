#!/usr/bin/env bash
# state-backend.sh: the team's shared Pulumi state in PostgreSQL (the Pulumi CLI's own postgres://
# backend), provisioned as code; docs/state.md says how the team and CI use it.
#
#   bash scripts/state-backend.sh provision         the database, schema, table and team role (idempotent)
#   bash scripts/state-backend.sh add-member LOGIN  LOGIN as a member of the team's role, created
#                                                   without a password when missing (then, as the
#                                                   administrator: psql -c '\password LOGIN')
#   bash scripts/state-backend.sh url LOGIN         the backend URL for LOGIN; it holds no password
#                                                   (the CLI reads it from PGPASSFILE or PGPASSWORD)
#
# The administrator's connection comes from libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSFILE,
# PGSSLMODE, PGSSLROOTCERT; PGDATABASE default postgres), never a password on a command line.
# Settings (environment), lowercase letters, digits and underscores:
#   PRECOG_STATE_DATABASE  default precog_pulumi
#   PRECOG_STATE_ROLE      default precog_state   (the team's role: NOLOGIN, owns the state)
#   PRECOG_STATE_SCHEMA    default pulumi
#   PRECOG_STATE_TABLE     default pulumi_state   (the CLI's default; another goes into the URL as table=)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

database=${PRECOG_STATE_DATABASE:-precog_pulumi}
team_role=${PRECOG_STATE_ROLE:-precog_state}
schema=${PRECOG_STATE_SCHEMA:-pulumi}
table=${PRECOG_STATE_TABLE:-pulumi_state}

die() { printf 'state-backend: %s\n' "$*" >&2; exit 2; }
usage() { die "usage: bash scripts/state-backend.sh provision | add-member LOGIN | url LOGIN"; }

identifier() { # name value
  [[ $2 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    die "$1 \"$2\" is not a plain PostgreSQL name: use lowercase letters, digits and underscores (at most 63), starting with a letter or underscore."
}
identifier PRECOG_STATE_DATABASE "$database"
identifier PRECOG_STATE_ROLE "$team_role"
identifier PRECOG_STATE_SCHEMA "$schema"
identifier PRECOG_STATE_TABLE "$table"

admin_psql() {
  # Notices (an object that exists already) are what a second run is for: kept out of its output.
  PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" "$@"
}

case "${1:-}" in
  provision)
    [ $# -eq 1 ] || usage
    admin_psql -v database="$database" -v team_role="$team_role" -v schema="$schema" -v table="$table" \
      -f "$here/state-backend/provision.sql"
    echo "state-backend: database $database, table $schema.$table, owned by role $team_role; no other role may connect."
    ;;
  add-member)
    [ $# -eq 2 ] || usage
    identifier LOGIN "$2"
    [ "$2" != "$team_role" ] || die "LOGIN must differ from the team's role $team_role (which does not log in)."
    admin_psql -v team_role="$team_role" -v login="$2" -f "$here/state-backend/add-member.sql"
    echo "state-backend: $2 is a member of $team_role. Without a password yet? As the administrator: psql -c '\\password $2'"
    ;;
  url)
    [ $# -eq 2 ] || usage
    identifier LOGIN "$2"
    query="sslmode=${PGSSLMODE:-verify-full}"
    [ -z "${PGSSLROOTCERT:-}" ] || query="$query&sslrootcert=$PGSSLROOTCERT"
    [ "$table" = pulumi_state ] || query="$query&table=$table"
    echo "postgres://$2@${PGHOST:?set PGHOST to the state server}:${PGPORT:-5432}/$database?$query"
    ;;
  *) usage ;;
esac
