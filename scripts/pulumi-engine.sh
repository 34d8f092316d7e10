#!/usr/bin/env bash
# pulumi-engine.sh: the Pulumi engine this project runs with, at the versions package-lock.json locks:
# the CLI, and the upstream plugins a whole-program deploy needs (the Node.js language host, the
# postgresql and random resource plugins; aws on aws stacks, which deploy from CI).
#
#   bash scripts/pulumi-engine.sh [build]   find the CLI, or build it once; print its bin folder (stdout)
#   bash scripts/pulumi-engine.sh path      the same
#   bash scripts/pulumi-engine.sh env       print `export` lines for eval: PATH with the CLI first, and
#                                           PULUMI_SKIP_UPDATE_CHECK=true
#   bash scripts/pulumi-engine.sh plugins   list the upstream plugins a local deploy needs that are not
#                                           installed, one a line (none: empty output); builds nothing
#   bash scripts/pulumi-engine.sh install-plugins [--with-aws]
#                                           `pulumi plugin install` each missing one at its locked
#                                           version (and aws, for the aws stacks); exit 3, saying
#                                           what to run, when that fails
#   bash scripts/pulumi-engine.sh help
#
#   eval "$(bash scripts/pulumi-engine.sh env)"
#
# The CLI: `pulumi` on PATH at the locked version (Pulumi's installer, a package manager,
# pulumi/actions), else the one this script built from the Go module github.com/pulumi/pulumi/pkg/v3
# at that version, in a small wrapper module, into
# ${PRECOG_CACHE_DIR:-$HOME/.cache/precog-db}/pulumi-cli/<version>/bin. Nothing else is built: the
# plugins are installed the ordinary way, into PULUMI_HOME (default ~/.pulumi). docs/pulumi-engine.md
# says what the engine is made of and how to install it.
#
# Progress goes to stderr; stdout carries only the answer. A complete install answers in well under a
# second and runs no Go command.
#
# Settings (environment):
#   PRECOG_CACHE_DIR        cache root                   default: $HOME/.cache/precog-db
#   PRECOG_GO_BUILD_JOBS    go build -p                  default: 2 (the build runs under nice)
#   PULUMI_HOME             where plugins are installed  default: $HOME/.pulumi
#
# Exit codes: 0 ok; 1 error; 2 usage; 3 a part is missing and cannot be had here (the message says
# how to install it).
set -euo pipefail
shopt -s inherit_errexit

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${1:-build}

say() { printf 'pulumi-engine: %s\n' "$*" >&2; }
die() { printf 'pulumi-engine: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo pipefail$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; }

case "$cmd" in
  build|path|env|plugins) [ $# -le 1 ] || { usage; exit 2; } ;;
  install-plugins) [ $# = 1 ] || { [ $# = 2 ] && [ "$2" = --with-aws ]; } || { usage; exit 2; } ;;
  help|-h|--help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac

# ---------------------------------------------------------------------------------------------
# Versions: those of the npm packages the project locks. The engine looks a plugin up by the version
# the SDK package asks for, so the plugins must be exactly these.

# npm's lock file puts each package's "version" on the line after its "node_modules/<name>" key.
# Read with awk, not node: an answer must stay well under a second.
lock_version() { # lock_version <npm package>
  awk -v key="\"node_modules/$1\": {" '
    index($0, key) { want = 1; next }
    want && /"version":/ { gsub(/[",]/, "", $2); print $2; found = 1; exit }
    END { exit !found }
  ' "$repo/package-lock.json"
}

[ -f "$repo/package-lock.json" ] || die "no package-lock.json in $repo"
sdk_ver=$(lock_version @pulumi/pulumi) || die "@pulumi/pulumi is not in package-lock.json"
cli_ver=v$sdk_ver

locked_plugin() { # locked_plugin <name>: "resource <name> <version of @pulumi/<name>>"
  echo "resource $1 $(lock_version "@pulumi/$1" || die "@pulumi/$1 is not in package-lock.json")"
}

# The upstream plugins a deploy loads, "<kind> <name> <version>": a local stack's, and with
# --with-aws an aws stack's too.
wanted_plugins() {
  echo "language nodejs $sdk_ver"
  locked_plugin postgresql
  locked_plugin random
  [ "${1:-}" != --with-aws ] || locked_plugin aws
}

cache=${PRECOG_CACHE_DIR:-${HOME:?HOME is not set}/.cache/precog-db}/pulumi-cli/$cli_ver
cached_cli=$cache/bin/pulumi
plugin_home=${PULUMI_HOME:-$HOME/.pulumi}

# ---------------------------------------------------------------------------------------------
# The CLI.

cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null; }

# `pulumi` on PATH at the locked version (other than this script's own build), if any.
installed_cli() {
  local p
  p=$(command -v pulumi 2>/dev/null) || return 1
  [ "$(readlink -f "$p")" != "$(readlink -m "$cached_cli")" ] || return 1
  [ "$(cli_version "$p")" = "$cli_ver" ] || return 1
  printf '%s\n' "$p"
}

# Checksums for the module version that the Go checksum database does not know (its lookup answers
# 404). Recorded from the Go module proxy on 2026-11-24: they pin the content (any change fails the
# build); docs/pulumi-engine.md says more.
pinned_sums() {
  [ "$cli_ver" = v3.248.0 ] || return 0 # other versions: the checksum database's own answer
  echo "github.com/pulumi/pulumi/pkg/v3 $cli_ver h1:MkvI29cYE3QUEvSl+7kZrV5lQ6CBIt54WjYt2HEXDSg="
  echo "github.com/pulumi/pulumi/pkg/v3 $cli_ver/go.mod h1:NBqXwZgQ9XVbqBQrxzrPPHttFCXg2Qe9rIZP/0NGMOk="
}

go_setup() {
  if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || return 1
    PATH=/usr/local/go/bin:$PATH
  fi
  export GOTOOLCHAIN=local
  local v
  v=$(go env GOVERSION)
  # The Pulumi modules at v3.248.0 declare go 1.25.11.
  printf '%s\n%s\n' go1.25.11 "$v" | sort -V -C || { say "$v is too old to build pulumi: it needs go1.25.11 or newer"; return 1; }
}

# Builds cmd/pulumi of the served module in a wrapper module in folder $1, into $1/out. pkg/v3's
# go.mod replaces some modules with others; a wrapper module must repeat those replaces.
build_cli_in() { # build_cli_in <work folder>
  local mod=github.com/pulumi/pulumi/pkg/v3 gomod line
  cd "$1"
  go mod init precog-db.local/pulumi-cli 2>/dev/null
  go mod edit -go=1.25.11 -require="$mod@$cli_ver"
  pinned_sums > go.sum
  gomod=$(go mod download -json "$mod@$cli_ver" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const j = JSON.parse(s); if (j.Error) { console.error(j.Error); process.exit(1); } console.log(j.GoMod); });')
  while IFS= read -r line; do
    [ -n "$line" ] && go mod edit -replace="$line"
  done < <(go mod edit -json "$gomod" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const r of JSON.parse(s).Replace || []) {
        if (!r.New.Version) continue;
        console.log(r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "") + "=" + r.New.Path + "@" + r.New.Version);
      }
    });')
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$mod" > tools.go
  go mod tidy
  nice -n 10 go build -p "${PRECOG_GO_BUILD_JOBS:-2}" -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_ver" \
    -o "$1/out" "$mod/cmd/pulumi"
  [ "$("$1/out" version)" = "$cli_ver" ]
}

# Builds the CLI into the cache, once: one build at a time per cache (a second caller waits, then
# finds it built); the binary is moved into place when finished, so an interrupted build leaves none.
build_cli() {
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock -n 9 || { say "another build holds $cache/.lock; waiting"; flock 9; }
  [ -x "$cached_cli" ] && return 0
  go_setup || { say "no pulumi $cli_ver on PATH, and no Go toolchain (go1.25.11 or newer) to build it"; install_hint_cli; exit 3; }
  rm -rf "$cache/.build"
  mkdir -p "$cache/.build" "$cache/bin"
  local t0=$SECONDS rc
  say "building pulumi $cli_ver from the Go module proxy into $cache (once; several minutes on 2 cores)"
  set +e
  (set -e; build_cli_in "$cache/.build")
  rc=$?
  set -e
  [ $rc = 0 ] || die "building pulumi $cli_ver failed (output above); the work folder stays until the next build: $cache/.build"
  mv -f "$cache/.build/out" "$cached_cli" || die "could not move the built pulumi to $cached_cli"
  rm -rf "$cache/.build"
  say "pulumi $cli_ver built in $((SECONDS - t0)) s"
}

install_hint_cli() {
  cat >&2 <<MSG
pulumi-engine: install the Pulumi CLI $cli_ver the ordinary way, then rerun:
  curl -fsSL https://get.pulumi.com | sh -s -- --version $sdk_ver
MSG
}

# The CLI's bin folder: an installed CLI, else this script's build (`build`: made now if missing).
cli_dir() { # cli_dir [build]
  local p
  if p=$(installed_cli); then dirname "$p"; return 0; fi
  [ -x "$cached_cli" ] || [ "${1:-}" != build ] || build_cli
  dirname "$cached_cli"
}

# ---------------------------------------------------------------------------------------------
# The upstream plugins, installed the ordinary way.

# Whether a plugin is installed where the engine finds it: a language host beside the CLI or on
# PATH, or any plugin in PULUMI_HOME/plugins at its version (what `pulumi plugin install` writes).
plugin_installed() { # plugin_installed <bin folder> <kind> <name> <version>
  local file=pulumi-$2-$3
  [ "$2" = language ] && { [ -x "$1/$file" ] || command -v "$file" >/dev/null 2>&1; } && return 0
  [ -x "$plugin_home/plugins/$2-$3-v$4/$file" ] && [ ! -e "$plugin_home/plugins/$2-$3-v$4.partial" ]
}

missing_plugins() { # missing_plugins <bin folder> [--with-aws]: "<kind> <name> <version>" lines
  local kind name version
  while read -r kind name version; do
    plugin_installed "$1" "$kind" "$name" "$version" || echo "$kind $name $version"
  done < <(wanted_plugins "${2:-}")
}

# The command that installs a plugin the ordinary way. The Node.js language host is not a plugin of
# its own to install: it comes with the CLI from Pulumi's installer or a package manager.
install_command() { # install_command <kind> <name> <version>
  case "$1" in
    language) echo "curl -fsSL https://get.pulumi.com | sh -s -- --version $sdk_ver   # the CLI with its $2 language host (a CLI built from source has none)" ;;
    *) echo "pulumi plugin install $1 $2 $3" ;;
  esac
}

install_plugins() { # install_plugins <bin folder> [--with-aws]
  local missing kind name version failed=() log
  missing=$(missing_plugins "$1" "${2:-}")
  [ -n "$missing" ] || return 0
  log=$(mktemp)
  while read -r kind name version; do
    if [ "$kind" = language ]; then failed+=("$kind $name $version"); continue; fi
    say "pulumi plugin install $kind $name $version"
    if ! PULUMI_SKIP_UPDATE_CHECK=true "$1/pulumi" plugin install "$kind" "$name" "$version" >"$log" 2>&1; then
      say "  failed: $(grep -v '^Will retry\|^warning:' "$log" | tail -n 1)"
      failed+=("$kind $name $version")
    fi
  done <<<"$missing"
  rm -f "$log"
  [ ${#failed[@]} = 0 ] && return 0
  {
    echo "pulumi-engine: missing upstream Pulumi plugins, which could not be installed here:"
    printf '  %s\n' "${failed[@]}"
    echo "Install them where the network allows, then rerun:"
    for f in "${failed[@]}"; do echo "  $(install_command $f)"; done
  } >&2
  exit 3
}

# ---------------------------------------------------------------------------------------------

case "$cmd" in
  plugins) dir=$(cli_dir) ;;
  *) dir=$(cli_dir build) ;;
esac
case "$cmd" in
  build|path) printf '%s\n' "$dir" ;;
  env)
    # shellcheck disable=SC2016  # $PATH is for the shell that evals this
    printf 'export PATH=%q:"$PATH"\n' "$dir"
    echo "export PULUMI_SKIP_UPDATE_CHECK=true"
    ;;
  plugins) missing_plugins "$dir" ;;
  install-plugins) install_plugins "$dir" "${2:-}" ;;
esac
