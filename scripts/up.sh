#!/usr/bin/env bash
# up.sh: the newcomer's one command. Sets up what is missing and brings up a local stack (dev by
# default) with the real Pulumi engine against the private PostgreSQL cluster:
#
#   bash scripts/up.sh [dev|test]
#
#  1. PostgreSQL server binaries (Debian's `postgresql`, when initdb is missing; needs root)
#  2. node packages (`npm ci`, when node_modules is missing)
#  3. the local cluster (scripts/local-pg.sh start)
#  4. the Pulumi engine (yours if installed, else built once from the Go module proxy and cached;
#     exits 3 with the reason when the provider plugins cannot be had)
#  5. a local file backend in .local/pulumi/state and a per-machine passphrase in
#     .local/pulumi/passphrase (mode 0600), unless PULUMI_BACKEND_URL / PULUMI_CONFIG_PASSPHRASE[_FILE]
#     are already set
#  6. `pulumi up --stack <env>`, then `.env.<env>` for the app (scripts/env-file.ts)
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

step "node packages"
if [ ! -d node_modules/@pulumi/pulumi ]; then npm ci --no-audit --no-fund; else echo "node_modules present"; fi

step "local PostgreSQL"
bash scripts/local-pg.sh start

step "Pulumi engine"
if ! engine_env=$(bash scripts/pulumi-engine.sh env); then
  cat >&2 <<'MSG'
up.sh: the Pulumi engine is incomplete (see the lines above), so the stack cannot be deployed yet.
The local PostgreSQL server is running. The postgresql and random provider plugins cannot be built
from the Go module proxy; install them the ordinary way (`pulumi plugin install`), or put their
binaries in a folder named by PRECOG_PULUMI_PROVIDER_DIR, then rerun. docs/pulumi-engine.md has the details.
MSG
  exit 3
fi
eval "$engine_env"
pulumi version

step "Pulumi backend"
mkdir -p .local/pulumi/state
chmod 0700 .local/pulumi
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$repo/.local/pulumi/state}
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  [ -f .local/pulumi/passphrase ] || (umask 077 && head -c 32 /dev/urandom | base64 > .local/pulumi/passphrase)
  export PULUMI_CONFIG_PASSPHRASE_FILE=$repo/.local/pulumi/passphrase
fi
echo "backend: ${PULUMI_BACKEND_URL%%\?*}"
pulumi stack select --create "$stack" >/dev/null

step "pulumi up --stack $stack"
pulumi up --yes --skip-preview --stack "$stack"

step ".env.$stack"
npx ts-node scripts/env-file.ts "$stack"
