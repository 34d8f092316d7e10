#!/usr/bin/env bash
# bench/history/run.sh: precog-db on a real schema history (langfuse's 434 migrations, from the
# external corpus), as whole processes, each paired with what does the same work without it:
#
#   migrate from empty   vs  psql applying the same files in one session (autocommit, stopping at the
#                            first error), each on a fresh empty database of its own
#   migrate, no-op rerun vs  Node's floor as precog-db loads pg (bench/migrate/floor.js --no-fetch)
#   validate             vs  the same by hand: createdb, psql of every file, pg_dump of both, dropdb
#   Node's floor         vs  psql's floor: node + pg + connect + SELECT 1 (bench/migrate/floor.js
#                            --no-fetch) against psql -c 'SELECT 1': what any client written for
#                            Node pays over psql on this machine before it does any work, to read
#                            the from-empty ratio against (1.10x of psql leaves a tenth of psql's run)
#   from empty, no extra vs  the first row again, both sides with NODE_EXTRA_CA_CERTS unset: Node
#   CAs                      parses the bundle that variable names at every start, which psql never
#                            reads; printed only when the variable is set
#   pulumi up from empty vs  psql as above: the migration component applying the same files through
#                            the real CLI (an inline program, bench/lib/inline-migrations.js, a stack
#                            and a database of its own every run); left out, saying so, when the
#                            Pulumi CLI is not installed (scripts/pulumi-engine.sh path)
#
#   bash bench/history/run.sh            (RUNS=5 by default; CORPUS=<folder> if not ../shared/corpus)
#
# Reads the corpus from ../shared/corpus beside the checkout when present (it is data kept outside
# the repository; SOURCES.md there says where it comes from); without it, says so and exits 2.
# Needs `npm run build` done, psql, pg_dump and createdb/dropdb on the PATH. The timing harness is
# bench/lib/paired.js (A and B in turn, whole processes, the ratio taken pair by pair); it starts
# its own PostgreSQL with scripts/local-pg.sh on a free port and removes it at the end.
#
# The files as precog-db runs them: the corpus's, as it ships them (the one whose first statement is
# `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ` runs at that level: the engine takes it as the
# isolation: option). psql gets langfuse's original SQL: the corpus's `-- [converted] removed:
# BEGIN;` lines put back, as the corpus's run.sh does.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${RUNS:-5}
corpus=${CORPUS:-$repo/../shared/corpus}
history=$corpus/real/langfuse/migrations
node_bin=$(command -v node)
bench=${BENCH:-$node_bin $repo/bench/lib/paired.js}

[ -d "$history" ] || {
  echo "bench/history: no real history at $history: put the corpus at ../shared/corpus beside the checkout, or set CORPUS=<folder>" >&2
  exit 2
}
[ -f "$repo/dist/cli/main.js" ] || { echo "run 'npm run build' first" >&2; exit 1; }
for t in psql pg_dump createdb dropdb; do command -v $t >/dev/null || { echo "bench/history: $t not found" >&2; exit 1; }; done

work=$(mktemp -d /tmp/precog-history-XXXXXX)
pgdir=$work/pg
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export PRECOG_PG_DIR=$pgdir PRECOG_PG_PORT=$port
cleanup() {
  bash "$repo/scripts/local-pg.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash "$repo/scripts/local-pg.sh" start >/dev/null

DB_PASSWORD=$(cat "$pgdir/admin-password")
export DB_HOST=127.0.0.1 DB_PORT=$port DB_USER=postgres DB_PASSWORD PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres \
  PGPASSWORD=$DB_PASSWORD PRECOG_ENV=dev
precog="$node_bin $repo/bin/precog-db.js"

# The two folders and psql's script.
mkdir -p "$work/engine" "$work/psql"
for f in "$history"/*.sql; do
  name=${f##*/}
  cp "$f" "$work/engine/$name"
  sed 's/^-- \[converted\] removed: //' "$f" >"$work/psql/$name"
done
ls "$work/engine" | sed "s|^|\\\\i $work/psql/|" >"$work/all.psql"
files=$(ls "$work/engine" | wc -l)

# Fresh databases for every from-empty run of each side (warm-up included), and one of each applied.
# (twice as many when NODE_EXTRA_CA_CERTS is set: the from-empty row is measured again without it)
pool=$((runs + 1))
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && pool=$((2 * (runs + 1)))
{
  for i in $(seq 1 "$pool"); do echo "CREATE DATABASE hist_a_$i; CREATE DATABASE hist_b_$i;"; done
  echo "CREATE DATABASE hist_applied; CREATE DATABASE hist_psql;"
} | psql -qX -v ON_ERROR_STOP=1 -d postgres -f - >/dev/null
echo 1 >"$work/count_a"
echo 1 >"$work/count_b"

# Each timed command is a small script, so both sides of a pair pay the same bash start.
cat >"$work/a-empty.sh" <<EOF
i=\$(cat $work/count_a); echo \$((i + 1)) >$work/count_a
cd $work && DB_NAME=hist_a_\$i exec $precog migrate --dir $work/engine
EOF
cat >"$work/b-empty.sh" <<EOF
i=\$(cat $work/count_b); echo \$((i + 1)) >$work/count_b
exec psql -qX -v ON_ERROR_STOP=1 -d hist_b_\$i -f $work/all.psql
EOF
cat >"$work/b-floor.sh" <<EOF
exec psql -qX -d hist_applied -c 'SELECT 1' -o /dev/null
EOF
cat >"$work/a-noop.sh" <<EOF
cd $work && DB_NAME=hist_applied exec $precog migrate --dir $work/engine
EOF
cat >"$work/b-noop.sh" <<EOF
exec $node_bin $repo/bench/migrate/floor.js --no-fetch hist_applied
EOF
cat >"$work/a-validate.sh" <<EOF
cd $work && DB_NAME=hist_applied exec $precog validate --dir $work/engine
EOF
cat >"$work/b-validate.sh" <<EOF
set -e
createdb hist_by_hand
psql -qX -v ON_ERROR_STOP=1 -d hist_by_hand -f $work/all.psql >/dev/null
pg_dump --schema-only --no-owner --no-privileges -d hist_applied >/dev/null
pg_dump --schema-only --no-owner --no-privileges -d hist_by_hand >/dev/null
exec dropdb hist_by_hand
EOF

# Once, untimed: the applied database the no-op and validate runs use, and what it holds.
(cd "$work" && DB_NAME=hist_applied $precog migrate --dir "$work/engine" >"$work/applied.out" 2>&1) || {
  echo "bench/history: precog-db migrate of the history failed:"; tail -n 5 "$work/applied.out"; exit 1
}
psql -qX -v ON_ERROR_STOP=1 -d hist_psql -f "$work/all.psql" >"$work/psql.out" 2>&1 || {
  echo "bench/history: psql of the history failed:"; tail -n 5 "$work/psql.out"; exit 1
}
dump() { pg_dump --schema-only --no-owner --no-privileges "$@" | grep -v '^\\\(un\)\?restrict '; }
dump -N precog_migrations -d hist_applied >"$work/engine.sql"
dump -d hist_psql >"$work/psql.sql"
applied=$(psql -XAtd hist_applied -c "SELECT count(*) FROM precog_migrations.history")
differing=$(diff "$work/psql.sql" "$work/engine.sql" | grep -c '^[<>]' || true)
drift=$(cd "$work" && DB_NAME=hist_applied $precog validate --dir "$work/engine" 2>&1 | tail -n 1)

results=$work/results
mkdir -p "$results"
# measure NAME A-script B-script: runs the harness, keeps its report, prints the medians and the paired ratio.
measure() {
  local name=$1
  $bench -n "$runs" --warmup 1 --timeout 1800 --vs "bash $3" -- bash "$2" >"$results/$name.txt" 2>&1 || true
  local am bm ratio
  am=$(awk '/^A wall s/ {print $5}' "$results/$name.txt")
  bm=$(awk '/^B wall s/ {print $5}' "$results/$name.txt")
  ratio=$(awk '/^A\/B wall/ {print $4}' "$results/$name.txt")
  if [ -z "$am" ] || [ -z "$bm" ] || [ -z "$ratio" ]; then
    echo "$name: no figures"; sed -n 1,12p "$results/$name.txt"; return
  fi
  printf '%-28s median %6.0f ms (min %4.0f, max %4.0f) | baseline %6.0f ms | paired %+6.0f ms (%.2fx) | load %s\n' \
    "$name" "$(echo "$am*1000" | bc)" "$(awk '/^A wall s/ {print $4*1000}' "$results/$name.txt")" \
    "$(awk '/^A wall s/ {print $6*1000}' "$results/$name.txt")" "$(echo "$bm*1000" | bc)" \
    "$(echo "($ratio-1)*$bm*1000" | bc)" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
  grep '^paired: .* exited' "$results/$name.txt" | sort -u || true
}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), PostgreSQL $(psql -XAtd postgres -c 'SHOW server_version' | cut -d' ' -f1), $runs runs each"
echo "== $files files from $history, as they ship; applied $applied/$files; schema vs psql's: $differing differing line(s) of $(wc -l <"$work/psql.sql"); validate: ${drift##*: }"
measure "migrate from empty" "$work/a-empty.sh" "$work/b-empty.sh"
measure "migrate, no-op rerun" "$work/a-noop.sh" "$work/b-noop.sh"
measure "validate" "$work/a-validate.sh" "$work/b-validate.sh"
# Node's floor is the no-op row's baseline, b-noop.sh.
measure "Node's floor" "$work/b-noop.sh" "$work/b-floor.sh"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  (unset NODE_EXTRA_CA_CERTS && measure "from empty, no extra CAs" "$work/a-empty.sh" "$work/b-empty.sh")
fi

# The same history from empty through `pulumi up`: a project with the migration provider, a file
# backend, and a stack and a database per run (warm-up included), made before the timed runs.
if engine=$(bash "$repo/scripts/pulumi-engine.sh" path 2>/dev/null) && [ -x "$engine/pulumi" ]; then
  project=$work/project
  mkdir -p "$project" "$work/state"
  printf 'name: precog-bench\nruntime: nodejs\nplugins:\n  providers:\n    - name: precog-migrations\n      path: %s\n' \
    "$repo/infra/migrations/plugin" >"$project/Pulumi.yaml"
  export PATH="$engine:$PATH" PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=bench \
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true BENCH_ENGINE=$engine \
    BENCH_MIGRATIONS=$work/engine BENCH_ENVIRONMENT=dev BENCH_PREDECESSOR=
  for i in $(seq 1 "$pool"); do
    pulumi stack init "h$i" --cwd "$project" >/dev/null 2>&1
    echo "CREATE DATABASE hist_c_$i; CREATE DATABASE hist_d_$i;"
  done | psql -qX -v ON_ERROR_STOP=1 -d postgres -f - >/dev/null
  echo 1 >"$work/count_c"
  echo 1 >"$work/count_d"
  cat >"$work/d-empty.sh" <<EOF
i=\$(cat $work/count_d); echo \$((i + 1)) >$work/count_d
exec psql -qX -v ON_ERROR_STOP=1 -d hist_d_\$i -f $work/all.psql
EOF
  cat >"$work/c-empty.sh" <<EOF
i=\$(cat $work/count_c); echo \$((i + 1)) >$work/count_c
export BENCH_CONNECTION="{\"host\":\"127.0.0.1\",\"port\":$port,\"database\":\"hist_c_\$i\",\"user\":\"postgres\",\"password\":\"$DB_PASSWORD\",\"sslMode\":\"disable\"}"
exec $node_bin $repo/bench/lib/inline-migrations.js $project h\$i apply with
EOF
  measure "pulumi up from empty" "$work/c-empty.sh" "$work/d-empty.sh"
  # What the first (warm-up) up applied: every file, as migrate and psql did.
  echo "== pulumi up from empty applied $(psql -XAtd hist_c_1 -c "SELECT count(*) FROM precog_migrations.history")/$files (the warm-up's database)"
else
  echo "pulumi up from empty: left out (no Pulumi CLI: scripts/pulumi-engine.sh path found none)"
fi
echo "baselines: psql of every file in one session (from empty, and for pulumi up); node + pg + connect + SELECT 1 (no-op); createdb + psql + 2 pg_dump + dropdb (validate); psql -c 'SELECT 1' (Node's floor)"
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && echo "no extra CAs: both sides of that row ran with NODE_EXTRA_CA_CERTS unset (set here to $NODE_EXTRA_CA_CERTS)"
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$results"/*.txt "$KEEP"/
exit 0
