#!/usr/bin/env bash
# up.sh: the newcomer's one command. Sets up what is missing and brings up a local stack (dev by
# default) with the real Pulumi engine against the private PostgreSQL cluster:
#
#   bash scripts/up.sh [dev|test]
#
#  1. PostgreSQL server binaries (Debian's `postgresql`, when initdb is missing; needs root)
#  2. node packages (`npm ci`, when node_modules is missing) and the compiled program (`npm run build`)
#  3. the local cluster (scripts/local-pg.sh start)
#  4. the Pulumi engine (scripts/pulumi-engine.sh: an ordinary install, else built once and cached)
#  5. a local file backend in .local/pulumi/state, unless PULUMI_BACKEND_URL is set; the local
#     stacks' passphrase (config/local-stacks.passphrase, see the README)
#  6. `pulumi up --stack <env>`, then `.env.<env>` for the app (scripts/env-file.ts), then what you
#     now have and what to do next
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
stack=${1:-dev}
case "$stack" in
  dev|test) ;;
  staging|prod) echo "up.sh brings up local stacks only; see the README for $stack." >&2; exit 2 ;;
  *) echo "usage: bash scripts/up.sh [dev|test]" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }

step "PostgreSQL server binaries"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "initdb is missing: run 'sudo apt-get update && sudo apt-get install -y postgresql', then rerun." >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
ls -d /usr/lib/postgresql/*/bin | tail -n 1

step "node packages and the compiled program"
if [ ! -d node_modules/@pulumi/pulumi ]; then npm ci --no-audit --no-fund; else echo "node_modules present"; fi
npm run --silent build

step "local PostgreSQL"
bash scripts/local-pg.sh start

step "Pulumi engine"
engine_env=$(bash scripts/pulumi-engine.sh env)
eval "$engine_env"
pulumi version

step "Pulumi backend"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .local/pulumi/state
  chmod 0700 .local/pulumi
  export PULUMI_BACKEND_URL=file://$repo/.local/pulumi/state
fi
unset PULUMI_CONFIG_PASSPHRASE
export PULUMI_CONFIG_PASSPHRASE_FILE=$repo/config/local-stacks.passphrase
echo "backend: ${PULUMI_BACKEND_URL%%\?*}"
pulumi stack select --create "$stack" >/dev/null

step "pulumi up --stack $stack"
pulumi up --yes --skip-preview --stack "$stack"

step ".env.$stack"
node dist/pulumi/scripts/env-file.js "$stack"
env_file=.env.$stack

step "ready"
pulumi stack output --stack "$stack"
cat <<NEXT

Stack $stack is up on the local cluster. You now have:
  $env_file   the app's login and the migration (migrator) login (mode 0600; precog-db and openPool read it)
  state        ${PULUMI_BACKEND_URL%%\?*}

Next:
  connect as the app:      set -a; . ./$env_file; set +a; PGPASSWORD=\$DB_PASSWORD psql -h \$DB_HOST -p \$DB_PORT -U \$DB_USER \$DB_NAME
  see the stack's outputs: eval "\$(bash scripts/pulumi-engine.sh env)"; PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL%%\?*} PULUMI_CONFIG_PASSPHRASE_FILE=config/local-stacks.passphrase pulumi stack output --stack $stack
  migrate from the shell:  set -a; . ./$env_file; set +a; npx precog-db migrate
  bring up test:           bash scripts/up.sh test
  stop the local server:   bash scripts/local-pg.sh stop
NEXT
