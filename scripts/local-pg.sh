#!/usr/bin/env bash
# local-pg.sh: the private PostgreSQL cluster that the local stacks (dev, test) and the tests use.
#
#   bash scripts/local-pg.sh start    initialise (first time) and start; a second start reuses the data
#   bash scripts/local-pg.sh stop     fast shutdown
#   bash scripts/local-pg.sh status   exit 0 when it answers, 3 when it is stopped
#   bash scripts/local-pg.sh env      print PGHOST/PGPORT/PGUSER/PGPASSFILE lines to `eval`
#
# Debian's PostgreSQL, data in a git-ignored folder, listening on loopback only, password
# (scram-sha-256) for every connection, TCP and socket alike. The superuser's password is generated
# once into $PRECOG_PG_DIR/admin-password (mode 0600) and never printed.
#
# Settings (environment):
#   PRECOG_PG_DIR   cluster folder            default: <repo>/.local/pg
#   PRECOG_PG_PORT  TCP port on 127.0.0.1     default: 54329; digits, 1 to 65535. Fixed when the
#                   cluster is made: later runs use the cluster's port, and refuse a different one
#   PRECOG_PG_MAX_CONNECTIONS                 default: 300 (all four stacks share it in the e2e run)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${PRECOG_PG_DIR:-$repo/.local/pg}
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac # absolute: the server runs from /
max_connections=${PRECOG_PG_MAX_CONNECTIONS:-300}
data=$dir/data
run=$dir/run
admin=postgres

die() { printf 'local-pg: %s\n' "$*" >&2; exit 1; }

# The port: PRECOG_PG_PORT's (checked) for a new cluster; an existing cluster's own, which its
# postgresql.conf fixed when it was made, so what is reported is where it listens.
requested=${PRECOG_PG_PORT:-}
if [ -n "$requested" ] && ! { [[ $requested =~ ^[1-9][0-9]{0,4}$ ]] && [ "$requested" -le 65535 ]; }; then
  die "PRECOG_PG_PORT=\"$requested\" is not a TCP port: use digits only, 1 to 65535."
fi
made=$(sed -n 's/^port = \([0-9]\{1,5\}\)$/\1/p' "$data/postgresql.conf" 2>/dev/null | tail -n 1 || true)
if [ -n "$made" ] && [ -n "$requested" ] && [ "$requested" != "$made" ]; then
  die "PRECOG_PG_PORT=$requested, but the cluster in $dir listens on port $made (fixed when it was made): unset PRECOG_PG_PORT or set it to $made, or remove $dir to make a new cluster on port $requested."
fi
port=${made:-${requested:-54329}}

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  command -v initdb >/dev/null 2>&1 && { dirname "$(readlink -f "$(command -v initdb)")"; return; }
  die "PostgreSQL server binaries not found. Install them: apt-get update && apt-get install -y postgresql"
}
bindir=$(find_bindir)

# initdb and postgres refuse to run as root: run them as the `postgres` account Debian creates.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (apt-get install -y postgresql creates it)"
    # From / : the caller's folder may be closed to postgres (a checkout under a 0700 folder), and
    # PostgreSQL's tools complain when they cannot change back to it.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_ctl() { as_owner "$bindir/pg_ctl" -D "$data" "$@"; }

is_running() { [ -f "$data/postmaster.pid" ] && pg_ctl status >/dev/null 2>&1; }

init_cluster() {
  mkdir -p "$dir" "$run"
  chmod 0700 "$dir"
  umask 077
  head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/admin-password"
  printf '127.0.0.1:%s:*:%s:%s\n' "$port" "$admin" "$(cat "$dir/admin-password")" > "$dir/pgpass"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$dir"
    # The folder's parents must be traversable by the server's account.
    local p=$dir
    while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  fi
  as_owner "$bindir/initdb" -D "$data" -U "$admin" --pwfile="$dir/admin-password" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$data"; die "initdb failed in $data (log above)"; }
  cat >>"$data/postgresql.conf" <<CONF

# precog-db local cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
max_connections = $max_connections
password_encryption = 'scram-sha-256'
fsync = off
CONF
}

# Whether something already listens on 127.0.0.1:$port (another checkout's cluster, say).
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

start() {
  if is_running; then echo "local-pg: already running on 127.0.0.1:$port ($data)"; return; fi
  if port_taken; then
    local move=""
    [ -n "$made" ] && move="
(this cluster was made on port $port: remove $dir first to make it anew on another)"
    die "port $port on 127.0.0.1 is already taken by another server (another checkout's cluster?).
Stop that server, or choose another port for this checkout's cluster and its local stacks:$move
  PRECOG_PG_PORT=<port> bash scripts/local-pg.sh start
  pulumi config set --stack dev --path precog:local.port <port>     (and --stack test)"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "local-pg: initialising a new cluster in $data"
    init_cluster
  else
    echo "local-pg: reusing the cluster in $data"
  fi
  mkdir -p "$run"; [ "$(id -u)" = 0 ] && chown postgres: "$run"
  pg_ctl -w -t 60 -l "$dir/server.log" start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; die "the server did not start (log: $dir/server.log)"; }
  echo "local-pg: running on 127.0.0.1:$port (superuser $admin, password in $dir/admin-password)"
}

stop() {
  if ! is_running; then echo "local-pg: not running ($data)"; return; fi
  pg_ctl -w -m fast stop >/dev/null
  echo "local-pg: stopped"
}

status() {
  if is_running; then echo "local-pg: running on 127.0.0.1:$port ($data)"; else echo "local-pg: stopped ($data)"; exit 3; fi
}

print_env() {
  [ -f "$dir/pgpass" ] || die "no cluster in $dir yet: run 'bash scripts/local-pg.sh start' first"
  printf 'export PGHOST=127.0.0.1\nexport PGPORT=%s\nexport PGUSER=%s\nexport PGPASSFILE=%s\n' \
    "$port" "$admin" "$dir/pgpass"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *) die "usage: bash scripts/local-pg.sh start|stop|status|env" ;;
esac
