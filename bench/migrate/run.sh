#!/usr/bin/env bash
# bench/migrate/run.sh: how fast precog-db's `migrate` is, as whole processes, against Node's own
# floor, psql, dbmate, knex and node-pg-migrate, all in one run on one machine.
#
#   bash bench/migrate/run.sh            (RUNS=15 by default; RUNS=30 for a steadier figure)
#
# Needs: `npm run build` done in the project; `npm ci` in bench/migrate (the comparison tools are
# kept out of the main project's dependencies; done here when missing). The timing harness is
# bench/lib/paired.js (paired runs of whole processes); $BENCH names another one taking
# `-n RUNS --warmup 1 --timeout S --vs 'B' -- A` and printing the same "A wall s min median max"
# and "A/B wall min median max" rows. dbmate in $DBMATE (default ~/.cache/precog-bench/bin/dbmate;
# built from its Go module, see docs/migrations.md; skipped when absent). It starts its own PostgreSQL with
# scripts/local-pg.sh in a temporary folder on a free port, and removes it at the end.
#
# Cases:
#   no-op migrate, 1, 300 and 1000 migrations applied vs  node + require pg + connect + SELECT 1
#     and, at 1 and 1000, vs the same floor loading pg without Node's fetch, as precog-db does (floor.js --no-fetch)
#   apply 200 ALTER TABLE ADD COLUMN to 200k rows      vs  psql -1 of the same 200 statements
# Each apply run first swaps in an untouched copy of the table (reset.sql, via psql), in both the
# measured command and the baseline, so that step cancels out of the difference.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${RUNS:-15}
node_bin=$(command -v node)
bench=${BENCH:-$node_bin $repo/bench/lib/paired.js}
dbmate=${DBMATE:-$HOME/.cache/precog-bench/bin/dbmate}
[ -x "$dbmate" ] || dbmate=""

[ -f "$repo/dist/cli/main.js" ] || { echo "run 'npm run build' first" >&2; exit 1; }
[ -d "$here/node_modules/knex" ] || (cd "$here" && npm ci --no-audit --no-fund)

work=$(mktemp -d /tmp/precog-bench-XXXXXX)
pgdir=$work/pg
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export PRECOG_PG_DIR=$pgdir PRECOG_PG_PORT=$port
cleanup() {
  bash "$repo/scripts/local-pg.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash "$repo/scripts/local-pg.sh" start >/dev/null

export WORK=$work DB_HOST=127.0.0.1 DB_PORT=$port DB_USER=postgres
DB_PASSWORD=$(cat "$pgdir/admin-password")
export DB_PASSWORD PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=$DB_PASSWORD PRECOG_ENV=dev
url() { printf 'postgresql://postgres:%s@127.0.0.1:%s/%s' "$DB_PASSWORD" "$port" "$1"; }

POOL=$(( (runs + 1) * 2 * 4 + 4 )) DBMATE=$dbmate node "$here/setup.js"

results=$work/results
mkdir -p "$results"
precog="$node_bin $repo/bin/precog-db.js"

# measure NAME DB 'A command' 'B command': runs the harness, keeps its report, prints the medians.
measure() {
  local name=$1 db=$2 a=$3 b=$4
  # eval: A is written as a shell would read it (sh -c '...' keeps its quotes); B is one string.
  DB_NAME=$db PGDATABASE=$db DATABASE_URL="$(url "$db")?sslmode=disable" \
    eval "\$bench -n \"\$runs\" --warmup 1 --timeout 900 --vs \"\$b\" -- $a" >"$results/$name.txt" 2>&1 || true
  local am bm
  am=$(awk '/^A wall s/ {print $5}' "$results/$name.txt")
  bm=$(awk '/^B wall s/ {print $5}' "$results/$name.txt")
  if [ -z "$am" ] || [ -z "$bm" ]; then
    echo "$name: no figures (report: $results/$name.txt)"; sed -n 1,12p "$results/$name.txt"; return
  fi
  local amin amax
  amin=$(awk '/^A wall s/ {print $4}' "$results/$name.txt"); amax=$(awk '/^A wall s/ {print $6}' "$results/$name.txt")
  # The paired ratio (A/B taken run by run) resists the machine's speed drifting during the call;
  # "paired difference" is (median ratio - 1) x B's median.
  local ratio
  ratio=$(awk '/^A\/B wall/ {print $4}' "$results/$name.txt")
  printf '%-44s median %6.0f ms (min %4.0f, max %4.0f) | baseline %6.0f ms | difference %+5.0f ms | paired %+5.0f ms (%.2fx) | load %s\n' \
    "$name" "$(echo "$am*1000" | bc)" "$(echo "$amin*1000" | bc)" "$(echo "$amax*1000" | bc)" "$(echo "$bm*1000" | bc)" \
    "$(echo "($am-$bm)*1000" | bc)" "$(echo "($ratio-1)*$bm*1000" | bc)" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
}

# median NAME A|B: that command's median wall seconds in the report of `measure NAME`.
median() { awk -v w="$2" '$1 == w && $2 == "wall" && $3 == "s" {print $5}' "$results/$1.txt"; }

floor="$node_bin $here/floor.js"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), harness: ${bench##*/}"
echo "== no-op migrate (baseline: node + require pg + connect + SELECT 1), $runs runs each"
measure "node floor vs itself" noop_precog_1 "$floor noop_precog_1" "$floor noop_precog_1"
measure "precog-db, 1 applied" noop_precog_1 "$precog migrate --dir $work/sql1" "$floor noop_precog_1"
measure "precog-db, 300 applied" noop_precog_300 "$precog migrate --dir $work/sql300" "$floor noop_precog_300"
measure "precog-db, 1000 applied" noop_precog_1000 "$precog migrate --dir $work/sql1000" "$floor noop_precog_1000"
measure "floor without fetch vs the floor" noop_precog_1000 "$floor --no-fetch noop_precog_1000" "$floor noop_precog_1000"
measure "precog-db, 1 applied, vs floor without fetch" noop_precog_1 "$precog migrate --dir $work/sql1" "$floor --no-fetch noop_precog_1"
measure "precog-db, 1000 applied, vs floor without fetch" noop_precog_1000 "$precog migrate --dir $work/sql1000" "$floor --no-fetch noop_precog_1000"
measure "precog-db, 1000 applied, no checksum cache" noop_precog_1000 \
  "sh -c 'rm -rf $work/node_modules/.cache && exec $precog migrate --dir $work/sql1000'" "$floor noop_precog_1000"
[ -n "$dbmate" ] && measure "dbmate, 1000 applied" noop_dbmate_1000 "$dbmate --no-dump-schema --migrations-dir $work/sql1000 migrate" "$floor noop_dbmate_1000"
measure "knex, 1000 applied" noop_knex_1000 "$node_bin $here/knex-migrate.js $work/knex1000" "$floor noop_knex_1000"
measure "node-pg-migrate, 1000 applied" noop_npm_1000 \
  "$node_bin $here/node_modules/node-pg-migrate/bin/node-pg-migrate.js up -m $work/npm1000 --migration-file-language js" "$floor noop_npm_1000"

reset="psql -qX -v ON_ERROR_STOP=1 -f $work/reset.sql"
psql1="sh -c '$reset && exec psql -qX -1 -v ON_ERROR_STOP=1 -f $work/apply_all.sql'"
echo
echo "== apply 200 ALTER TABLE ADD COLUMN to a 200k-row table (baseline: psql -1 of the same statements; both after the same reset)"
measure "node floor (for the sum)" apply "$floor apply" "$floor apply"
measure "precog-db" apply "sh -c '$reset && exec $precog migrate --dir $work/apply_sql'" "$psql1"
[ -n "$dbmate" ] && measure "dbmate" apply "sh -c '$reset && exec $dbmate --no-dump-schema --migrations-dir $work/apply_sql migrate'" "$psql1"
measure "knex" apply "sh -c '$reset && exec $node_bin $here/knex-migrate.js $work/apply_knex'" "$psql1"
measure "node-pg-migrate" apply \
  "sh -c '$reset && exec $node_bin $here/node_modules/node-pg-migrate/bin/node-pg-migrate.js up -m $work/apply_npm --migration-file-language js'" "$psql1"
# A Node tool cannot beat psql -1 plus Node's own start: that sum is the apply case's yardstick.
p=$(median precog-db A) q=$(median precog-db B) f=$(median "node floor (for the sum)" A)
[ -n "$p" ] && [ -n "$q" ] && [ -n "$f" ] && printf 'precog-db / (psql -1 + node floor): %.0f / (%.0f + %.0f) ms = %.2fx\n' \
  "$(echo "$p*1000" | bc)" "$(echo "$q*1000" | bc)" "$(echo "$f*1000" | bc)" "$(echo "$p/($q+$f)" | bc -l)"
echo
echo "Reports: $results (removed on exit; copy them with KEEP=<folder>)"
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$results"/*.txt "$KEEP"/
exit 0
