#!/usr/bin/env bash
# up.sh: the newcomer's one command. Sets up what is missing and brings up a local stack (dev by
# default) with the real Pulumi engine against the private PostgreSQL cluster:
#
#   bash scripts/up.sh [dev|test]
#
#  1. what the project needs (scripts/setup.sh): PostgreSQL's server and pgaudit, the node packages,
#     the Pulumi CLI at the locked version
#  2. the compiled program (`npm run build`)
#  3. the upstream Pulumi plugins a local deploy loads, installed with `pulumi plugin install` at the
#     locked versions when missing (scripts/pulumi-engine.sh install-plugins). Where they cannot be
#     installed (no network) it stops here with exit 3, naming them and the commands: nothing has
#     been started or deployed then
#  4. the local cluster (scripts/local-pg.sh start)
#  5. a local file backend in .local/pulumi/state, unless PULUMI_BACKEND_URL is set; the local
#     stacks' passphrase (config/local-stacks.passphrase, see docs/pulumi-engine.md)
#  6. `pulumi up --stack <env> --policy-pack policy` (the strategy's rules, as CI runs them), then
#     `.env.<env>` for the app (scripts/env-file.ts), then what you now have and what to do next
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
stack=${1:-dev}
case "$stack" in
  dev|test) ;;
  staging|prod) echo "up.sh brings up local stacks only; see docs/stacks.md for $stack." >&2; exit 2 ;;
  *) echo "usage: bash scripts/up.sh [dev|test]" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }

bash scripts/setup.sh

step "the compiled program"
npm run --silent build

step "Pulumi plugins"
eval "$(bash scripts/pulumi-engine.sh env)"
bash scripts/pulumi-engine.sh install-plugins || {
  rc=$?
  echo "up.sh: stopped before the local cluster and the deploy: nothing was started or deployed." >&2
  exit $rc
}

step "local PostgreSQL"
bash scripts/local-pg.sh start

step "Pulumi backend"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .local/pulumi/state
  chmod 0700 .local/pulumi
  export PULUMI_BACKEND_URL=file://$repo/.local/pulumi/state
fi
unset PULUMI_CONFIG_PASSPHRASE
export PULUMI_CONFIG_PASSPHRASE_FILE=$repo/config/local-stacks.passphrase
# As printed: without its query, and a password in it (a postgres:// URL may hold one; docs/state.md
# keeps it in PGPASSFILE instead) masked.
backend_shown=$(printf '%s' "${PULUMI_BACKEND_URL%%\?*}" | sed -E 's#^([A-Za-z0-9+.-]+://[^/@:]*):[^/@]*@#\1:****@#')
echo "backend: $backend_shown"
pulumi stack select --create "$stack" >/dev/null

step "pulumi up --stack $stack"
pulumi up --yes --skip-preview --stack "$stack" --policy-pack policy

step ".env.$stack"
node dist/pulumi/scripts/env-file.js "$stack"
env_file=.env.$stack

step "ready"
pulumi stack output --stack "$stack"
cat <<NEXT

Stack $stack is up on the local cluster. You now have:
  $env_file   the app's login and the migration (migrator) login (mode 0600; precog-db and openPool read it)
  state        $backend_shown

Next:
  connect as the app:      set -a; . ./$env_file; set +a; PGPASSWORD=\$DB_PASSWORD psql -h \$DB_HOST -p \$DB_PORT -U \$DB_USER \$DB_NAME
  see the stack's outputs: eval "\$(bash scripts/pulumi-engine.sh env)"; PULUMI_BACKEND_URL=$backend_shown PULUMI_CONFIG_PASSPHRASE_FILE=config/local-stacks.passphrase pulumi stack output --stack $stack
  migrate from the shell:  set -a; . ./$env_file; set +a; npx precog-db migrate
  bring up test:           bash scripts/up.sh test
  stop the local server:   bash scripts/local-pg.sh stop
NEXT
