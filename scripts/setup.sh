#!/usr/bin/env bash
# setup.sh: what the project needs on a machine before it deploys or tests, installed when missing.
# scripts/up.sh and scripts/test.sh (the README's two commands) and .ci/run run it first.
#
#   bash scripts/setup.sh
#
#  1. PostgreSQL's server binaries and pgaudit for them (Debian's `postgresql` and
#     `postgresql-<major>-pgaudit`; needs root, else it prints the apt-get line to run)
#  2. the node packages (`npm ci`, when node_modules is older than package-lock.json), which builds dist/
#  3. the Pulumi CLI at the locked version (scripts/pulumi-engine.sh: an installed one, else built once)
#
# It installs nothing into the checkout but the git-ignored node_modules/ and dist/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n== %s\n' "$*"; }

apt_install() { # apt_install <package>...
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing $*: run 'sudo apt-get update && sudo apt-get install -y $*', then rerun." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}

step "PostgreSQL server binaries and pgaudit"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql postgresql-contrib
major=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
# pgaudit: the RDS parameter group's audit logging, which tests/e2e/audit-log.test.ts runs locally.
[ -f "/usr/lib/postgresql/$major/lib/pgaudit.so" ] || apt_install "postgresql-$major-pgaudit"
echo "PostgreSQL $major with pgaudit"

step "node packages"
# npm writes node_modules/.package-lock.json at each install: older than package-lock.json, or
# missing, means the tree is not the locked one.
if [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules installed from the current package-lock.json"
else
  npm ci --no-audit --no-fund
fi

step "Pulumi CLI"
bin=$(bash scripts/pulumi-engine.sh build)
PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" version
