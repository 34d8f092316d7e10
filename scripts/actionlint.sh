#!/usr/bin/env bash
# actionlint.sh: lints .github/workflows with actionlint, built once from the Go module proxy into
# a cache outside the work tree, like the Pulumi engine (scripts/pulumi-engine.sh).
#
#   bash scripts/actionlint.sh [actionlint args...]   build if missing, then lint the workflows
#   bash scripts/actionlint.sh path                   build if missing, print the binary's path
#
# Cache: ${PRECOG_CACHE_DIR:-$HOME/.cache/precog-db}/actionlint/<version>/bin/actionlint. A cached
# binary answers without running Go. The first build takes about a minute on 2 cores (under nice).
# Exit codes: actionlint's own (0 clean, 1 findings, 2+ its errors); 3 when it cannot be built here.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=v1.7.12
module=github.com/rhysd/actionlint/cmd/actionlint
dir=${PRECOG_CACHE_DIR:-${HOME:?HOME is not set}/.cache/precog-db}/actionlint/$version
bin=$dir/bin/actionlint

say() { printf 'actionlint.sh: %s\n' "$*" >&2; }

build() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; else
      say "no Go toolchain to build actionlint $version; install Go, or put actionlint $version at $bin"
      exit 3
    fi
  fi
  say "building actionlint $version from the Go module proxy into $dir (once)"
  local start=$SECONDS tmp
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  # Into a temp folder first, then moved: an interrupted build never leaves a half-written binary.
  if ! GOTOOLCHAIN=local GOBIN=$tmp nice -n 10 go install -trimpath "$module@$version" >&2; then
    rm -rf "$tmp"
    say "building $module@$version failed (output above)"
    exit 3
  fi
  mkdir -p "$dir/bin"
  mv "$tmp/actionlint" "$bin"
  rm -rf "$tmp"
  say "built in $((SECONDS - start)) s"
}

[ -x "$bin" ] || build

if [ "${1:-}" = path ]; then
  printf '%s\n' "$bin"
  exit 0
fi

cd "$repo"
exec "$bin" "$@"
