#!/usr/bin/env bash
# bench/history/instructions.sh: the instructions a PostgreSQL backend runs to apply a real history
# (langfuse's 434 migrations, from the external corpus), counted by valgrind's cachegrind on a
# single-user backend (`postgres --single -j`), for each way of sending it that replay.js writes:
# psql's statements one by one, the bare transactions, and the engine's per-migration statements
# one kind at a time. A count does not move with the machine's load, so it shows what each
# statement costs the server where bench/history/run.sh's wall times cannot; it leaves out the
# network and the client.
#
#   bash bench/history/instructions.sh [variant ...]   (default: the set docs/migrations.md shows)
#
# Needs `npm run build` (psql's replay splits statements with dist/migrate/parser.js), valgrind, and
# PostgreSQL's initdb and postgres (PG_BIN, else `pg_config --bindir`). Makes a throwaway cluster in
# a temp folder, as the `postgres` user when run as root (the server refuses root), and removes it.
# About ten seconds a variant. CORPUS=<folder> if not ../shared/corpus.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${CORPUS:-$repo/../shared/corpus}
history=$corpus/real/langfuse/migrations
[ -d "$history" ] || { echo "bench/history: no real history at $history (CORPUS=<folder>)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench/history: valgrind not found" >&2; exit 1; }
bin=${PG_BIN:-$(pg_config --bindir)}
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(psql bare clean settings sets oldlock newlock insert record
  clean,settings,oldlock,insert clean,settings,newlock,insert clean,sets,record)

work=$(mktemp -d /tmp/precog-instructions-XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
as_server "$bin/initdb" -D "$work/template" -U postgres --auth=trust >/dev/null
echo "fsync = off" >>"$work/template/postgresql.conf"
echo "CREATE DATABASE h;" | as_server "$bin/postgres" --single -D "$work/template" postgres >/dev/null 2>&1

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), PostgreSQL $("$bin/postgres" --version | awk '{print $3}'), $(ls "$history" | wc -l) files"
for v in "${variants[@]}"; do
  node "$here/replay.js" "$history" "$v" >"$work/in.sql"
  chmod 644 "$work/in.sql"
  rm -rf "$work/data" && cp -a "$work/template" "$work/data"
  as_server valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$bin/postgres" --single -j -D "$work/data" h <"$work/in.sql" >"$work/out.txt" 2>&1 || true
  refs=$(grep -o 'I *refs: *[0-9,]*' "$work/out.txt" | tr -dc '0-9')
  errors=$(grep -c ' ERROR: ' "$work/out.txt" || true)
  printf '%-34s %6.3f G instructions%s\n' "$v" "$(echo "$refs / 1000000000" | bc -l)" \
    "$([ "$errors" = 0 ] || echo " ($errors errors: the replay is wrong, not a figure)")"
done
