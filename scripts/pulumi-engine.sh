#!/usr/bin/env bash
# pulumi-engine.sh: the Pulumi engine for this project on machines that reach only the npm registry,
# Debian's packages and the Go module proxy. Builds it once from Go modules into a cache outside the
# work tree, keyed by the versions in package-lock.json, and tells where it is.
#
#   bash scripts/pulumi-engine.sh [build]   build what is missing; print the bin folder (stdout)
#   bash scripts/pulumi-engine.sh path      print the bin folder to put first on PATH (builds if needed)
#   bash scripts/pulumi-engine.sh env       print `export` lines for eval: PATH and the two PULUMI_* below
#   bash scripts/pulumi-engine.sh help
#
#   eval "$(bash scripts/pulumi-engine.sh env)"
#
# The bin folder holds: pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs (dynamic
# providers; copied from node_modules/@pulumi/pulumi), pulumi-resource-postgresql, pulumi-resource-random.
# Progress goes to stderr; stdout carries only the answer. A complete cache answers in well under a
# second and runs no Go command. See docs/pulumi-engine.md for what was built, how, and why.
#
# Which engine:
#   If `pulumi` is already on PATH (installed the ordinary way, not this cache) together with
#   pulumi-language-nodejs and the postgresql and random resource plugins (on PATH or in
#   `pulumi plugin ls`), that one is used and nothing is built. Otherwise the cache is used.
#
# Settings (environment):
#   PRECOG_CACHE_DIR          cache root        default: $HOME/.cache/precog-db
#                             the bin folder is <root>/pulumi-engine/<cli>-pg<ver>-random<ver>/bin
#   PRECOG_PULUMI_ENGINE      auto | cache | existing   default: auto (see "Which engine")
#   PRECOG_GO_BUILD_JOBS      go build -p       default: 2 (builds also run under nice)
#   PRECOG_PULUMI_PROVIDER_DIR  a folder holding pulumi-resource-postgresql and/or
#                             pulumi-resource-random binaries to copy into the cache (see below)
#   PRECOG_PULUMI_ALLOW_MISSING_PROVIDERS=1   let `path`/`env` answer although a provider is missing
#                             (programs that need it then fail when the engine loads it)
#   PRECOG_PULUMI_VERSION, PRECOG_PULUMI_POSTGRESQL_VERSION, PRECOG_PULUMI_RANDOM_VERSION
#                             override the versions read from package-lock.json
#
# Providers: every version of the provider modules (github.com/pulumi/pulumi-postgresql/provider/v3,
# github.com/pulumi/pulumi-random/provider/v4) and of their upstream Terraform providers that was
# asked for was refused by the Go module proxy here (403 "not available"), so this script cannot
# compile them. It copies them into the cache from, in order: PRECOG_PULUMI_PROVIDER_DIR, an ordinary
# plugin install at exactly the locked version ($PULUMI_HOME or ~/.pulumi, plugins/resource-<name>-v<ver>/),
# or PATH. Only the plugin folder's name carries a version; binaries from the other two are taken as
# they are. Without them `build` exits 3 and says what is missing.
#
# Language host: the Go module proxy here also refuses every version of
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, so pulumi-language-nodejs is a
# small stand-in in scripts/pulumi-langhost/main.go (Go, built against github.com/pulumi/pulumi/sdk/v3 at the CLI's
# version). It serves Handshake, GetPluginInfo, GetRequiredPackages/GetRequiredPlugins and Run, which
# starts the program through the project's own node_modules/@pulumi/pulumi/cmd/run like upstream does.
#
# Exit codes: 0 ok; 1 error; 2 usage; 3 engine incomplete (a provider could not be obtained).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${1:-build}

say() { printf 'pulumi-engine: %s\n' "$*" >&2; }
die() { printf 'pulumi-engine: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo pipefail$/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; }

case "$cmd" in
  build|path|env) ;;
  help|-h|--help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac

# ---------------------------------------------------------------------------------------------
# Versions: those of the npm packages the project locks.

lock_version() { # lock_version <npm package>
  node -e '
    const lock = require(process.argv[1]);
    const p = (lock.packages || {})["node_modules/" + process.argv[2]];
    if (!p || !p.version) { process.exit(1); }
    console.log(p.version);
  ' "$repo/package-lock.json" "$1" 2>/dev/null
}

command -v node >/dev/null 2>&1 || die "node is not on PATH"
[ -f "$repo/package-lock.json" ] || die "no package-lock.json in $repo"
sdk_ver=${PRECOG_PULUMI_VERSION:-$(lock_version @pulumi/pulumi)} || die "@pulumi/pulumi is not in package-lock.json"
pg_ver=${PRECOG_PULUMI_POSTGRESQL_VERSION:-$(lock_version @pulumi/postgresql)} || die "@pulumi/postgresql is not in package-lock.json"
random_ver=${PRECOG_PULUMI_RANDOM_VERSION:-$(lock_version @pulumi/random)} || die "@pulumi/random is not in package-lock.json"
sdk_ver=${sdk_ver#v}; pg_ver=${pg_ver#v}; random_ver=${random_ver#v}
cli_ver=v$sdk_ver

cache_root=${PRECOG_CACHE_DIR:-${HOME:?HOME is not set}/.cache/precog-db}/pulumi-engine
key="$cli_ver-pg$pg_ver-random$random_ver"
keydir=$cache_root/$key
bindir=$keydir/bin
dynamic_src=$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs

# Checksums for module versions that the Go checksum database does not know (its lookup answers
# 404), so `go` cannot verify them there. Recorded from the Go module proxy on 2026-11-24: they pin
# the content (any change fails the build) but were not verified by the checksum database.
# shellcheck disable=SC2317  # called from build_cli_in, which runs under `checked`
pinned_sums() { # pinned_sums <module> <version>
  case "$1@$2" in
    github.com/pulumi/pulumi/pkg/v3@v3.248.0)
      echo "github.com/pulumi/pulumi/pkg/v3 v3.248.0 h1:MkvI29cYE3QUEvSl+7kZrV5lQ6CBIt54WjYt2HEXDSg="
      echo "github.com/pulumi/pulumi/pkg/v3 v3.248.0/go.mod h1:NBqXwZgQ9XVbqBQrxzrPPHttFCXg2Qe9rIZP/0NGMOk="
      ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# The stand-in language host (see the header). Its source hash is recorded beside the binary so that
# a change to scripts/pulumi-langhost/main.go rebuilds it.

langhost_source() { cat "$repo/scripts/pulumi-langhost/main.go"; }

langhost_hash() { langhost_source | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------------------------------------
# State of the cache.

providers=(postgresql random)
provider_version() { case "$1" in postgresql) echo "$pg_ver" ;; random) echo "$random_ver" ;; esac; }

langhost_current() {
  [ -x "$bindir/pulumi-language-nodejs" ] && [ -f "$keydir/langhost.sha" ] &&
    [ "$(cat "$keydir/langhost.sha")" = "$(langhost_hash)" ]
}

missing_parts() { # prints one line per missing part
  [ -x "$bindir/pulumi" ] || echo pulumi
  langhost_current || echo pulumi-language-nodejs
  [ -x "$bindir/pulumi-resource-pulumi-nodejs" ] || echo pulumi-resource-pulumi-nodejs
  local p
  for p in "${providers[@]}"; do [ -x "$bindir/pulumi-resource-$p" ] || echo "pulumi-resource-$p"; done
}

# ---------------------------------------------------------------------------------------------
# An engine installed the ordinary way.

under_cache() { case "$(readlink -f "$1")" in "$(readlink -m "$cache_root")"/*) return 0 ;; *) return 1 ;; esac; }

has_plugin() { # has_plugin <pulumi binary> <resource name>
  local name=$2 b
  if b=$(command -v "pulumi-resource-$name" 2>/dev/null) && ! under_cache "$b"; then return 0; fi
  PULUMI_SKIP_UPDATE_CHECK=true "$1" plugin ls 2>/dev/null | awk -v n="$name" 'NR > 1 && $1 == n && $2 == "resource" { f = 1 } END { exit !f }'
}

existing_engine() { # prints the folder of an ordinary pulumi install that has everything needed
  local p dir
  p=$(command -v pulumi 2>/dev/null) || return 1
  under_cache "$p" && return 1
  dir=$(dirname "$p")
  [ -x "$dir/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null 2>&1 || return 1
  has_plugin "$p" postgresql && has_plugin "$p" random || return 1
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------------------------------------
# Building.

go_env_setup() {
  if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || die "go is not on PATH (nor in /usr/local/go/bin)"
    PATH=/usr/local/go/bin:$PATH
  fi
  export GOTOOLCHAIN=local
  local v
  v=$(go env GOVERSION)
  # pkg/v3 v3.248.0 declares go 1.25.11.
  if ! printf '%s\n%s\n' go1.25.11 "$v" | sort -V -C; then
    die "$v is too old: the Pulumi modules need go1.25.11 or newer"
  fi
  jobs=${PRECOG_GO_BUILD_JOBS:-2}
}

# shellcheck disable=SC2317  # called from functions that run under `checked`
gobuild() { nice -n 10 go build -p "$jobs" -trimpath "$@"; }

# Runs "$@" in a subshell with errexit really on (it is ignored in `if`/`||` contexts), so that any
# failing step fails the whole build.
checked() { local rc; set +e; ( set -e; "$@" ); rc=$?; set -e; return $rc; }

# Copy a module's non-directory replace lines into the wrapper module in the current folder.
# shellcheck disable=SC2317  # called from build_cli_in, which runs under `checked`
copy_replaces() { # copy_replaces <go.mod file>
  local line
  while IFS= read -r line; do
    [ -n "$line" ] && go mod edit -replace="$line"
  done < <(go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const r of JSON.parse(s).Replace || []) {
        if (!r.New.Version) continue; // a folder inside the upstream repository: not usable here
        const old = r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "");
        console.log(old + "=" + r.New.Path + "@" + r.New.Version);
      }
    });')
}

new_workdir() { mktemp -d "$cache_root/.build/$1.XXXXXX"; }

# shellcheck disable=SC2317  # runs under `checked`
build_cli_in() { # build_cli_in <work folder> <module>; runs under `checked`
  local w=$1 mod=$2 gomod
  cd "$w"
  go mod init precog-db.local/pulumi-cli 2>/dev/null
  go mod edit -go=1.25.11 -require="$mod@$cli_ver"
  pinned_sums "$mod" "$cli_ver" > go.sum
  gomod=$(go mod download -json "$mod@$cli_ver" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const j = JSON.parse(s); if (j.Error) { console.error(j.Error); process.exit(1); } console.log(j.GoMod); });')
  copy_replaces "$gomod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$mod" > tools.go
  go mod tidy
  gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_ver" \
    -o "$w/pulumi" "$mod/cmd/pulumi"
  "$w/pulumi" version >/dev/null
}

build_cli() {
  local w mod=github.com/pulumi/pulumi/pkg/v3 gomod t0=$SECONDS
  say "building pulumi $cli_ver from $mod@$cli_ver (a cold build takes several minutes)"
  w=$(new_workdir cli)
  checked build_cli_in "$w" "$mod" || die "building pulumi failed (work folder kept until the next build: $w)"
  mv -f "$w/pulumi" "$bindir/pulumi"
  rm -rf "$w"
  say "pulumi $cli_ver built in $((SECONDS - t0))s"
}

# shellcheck disable=SC2317  # runs under `checked`
build_langhost_in() { # build_langhost_in <work folder>; runs under `checked`
  cd "$1"
  go mod init precog-db.local/pulumi-language-nodejs 2>/dev/null
  go mod edit -go=1.25.11 -require="github.com/pulumi/pulumi/sdk/v3@$cli_ver"
  langhost_source > main.go
  go mod tidy
  gobuild -ldflags "-s -w -X main.version=$sdk_ver" -o "$1/pulumi-language-nodejs" .
}

build_langhost() {
  local w t0=$SECONDS
  say "building pulumi-language-nodejs (precog-db stand-in) against github.com/pulumi/pulumi/sdk/v3@$cli_ver"
  w=$(new_workdir langhost)
  checked build_langhost_in "$w" || die "building pulumi-language-nodejs failed (work folder kept until the next build: $w)"
  mv -f "$w/pulumi-language-nodejs" "$bindir/pulumi-language-nodejs"
  langhost_hash > "$w/langhost.sha" && mv -f "$w/langhost.sha" "$keydir/langhost.sha"
  rm -rf "$w"
  say "pulumi-language-nodejs built in $((SECONDS - t0))s"
}

install_dynamic_provider() {
  [ -f "$dynamic_src" ] || die "$dynamic_src is missing: run 'npm ci' first"
  local t
  t=$(mktemp "$bindir/.pulumi-resource-pulumi-nodejs.XXXXXX")
  cp "$dynamic_src" "$t" && chmod 0755 "$t" && mv -f "$t" "$bindir/pulumi-resource-pulumi-nodejs"
}

# Look for a provider binary; copy it into the cache. In order: PRECOG_PULUMI_PROVIDER_DIR, the
# plugin folder of an ordinary `pulumi plugin install` at exactly the locked version, PATH. Only the
# plugin folder's name tells a version: binaries from the other two are taken as they are.
obtain_provider() { # obtain_provider <name>
  local name=$1 ver src="" c t
  ver=$(provider_version "$name")
  for c in \
    ${PRECOG_PULUMI_PROVIDER_DIR:+"$PRECOG_PULUMI_PROVIDER_DIR/pulumi-resource-$name"} \
    "${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$name-v$ver/pulumi-resource-$name" \
    "$(command -v "pulumi-resource-$name" 2>/dev/null || true)"; do
    if [ -n "$c" ] && [ -x "$c" ] && ! under_cache "$c"; then src=$c; break; fi
  done
  if [ -z "$src" ]; then
    say "pulumi-resource-$name $ver: not found, and it cannot be compiled here (the Go module proxy refuses the provider modules; see docs/pulumi-engine.md)"
    return 1
  fi
  printf '%s\n' "$src" > "$keydir/pulumi-resource-$name.source"
  t=$(mktemp "$bindir/.pulumi-resource-$name.XXXXXX")
  cp "$src" "$t" && chmod 0755 "$t" && mv -f "$t" "$bindir/pulumi-resource-$name"
  say "pulumi-resource-$name: copied from $src (expected version $ver)"
}

write_manifest() {
  local t
  t=$(mktemp "$keydir/.manifest.XXXXXX")
  {
    echo "key: $key"
    echo "pulumi: $cli_ver (github.com/pulumi/pulumi/pkg/v3@$cli_ver, go build -trimpath, version ldflag)"
    echo "pulumi-language-nodejs: precog-db stand-in $(langhost_hash) against github.com/pulumi/pulumi/sdk/v3@$cli_ver"
    echo "pulumi-resource-pulumi-nodejs: copied from @pulumi/pulumi $sdk_ver"
    echo "pulumi-resource-postgresql: $pg_ver expected; copied from $(cat "$keydir/pulumi-resource-postgresql.source" 2>/dev/null || echo '?')"
    echo "pulumi-resource-random: $random_ver expected; copied from $(cat "$keydir/pulumi-resource-random.source" 2>/dev/null || echo '?')"
    echo "go: $(go env GOVERSION 2>/dev/null || echo '?')"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$t"
  mv -f "$t" "$keydir/manifest.txt"
}

build_missing() {
  local missing part status=0
  mkdir -p "$bindir" "$cache_root/.build"
  # One build at a time per cache root; a second caller waits, then finds the work done.
  exec 9>"$cache_root/.lock"
  if ! flock -n 9; then
    say "another build holds $cache_root/.lock; waiting"
    flock 9
  fi
  # Work folders left by an interrupted or failed earlier build: no build is running (we hold the lock).
  find "$cache_root/.build" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  missing=$(missing_parts)
  [ -z "$missing" ] && return 0
  if printf '%s\n' "$missing" | grep -qx -e pulumi -e pulumi-language-nodejs; then go_env_setup; fi
  for part in $missing; do
    case "$part" in
      pulumi) build_cli ;;
      pulumi-language-nodejs) build_langhost ;;
      pulumi-resource-pulumi-nodejs) install_dynamic_provider ;;
      pulumi-resource-*) obtain_provider "${part#pulumi-resource-}" || status=3 ;;
    esac
  done
  [ -n "$(missing_parts)" ] || write_manifest
  return $status
}

# ---------------------------------------------------------------------------------------------

answer() { # answer <bin folder>
  case "$cmd" in
    build|path) printf '%s\n' "$1" ;;
    env)
      # shellcheck disable=SC2016  # $PATH is for the shell that evals this
      printf 'export PATH=%q:"$PATH"\n' "$1"
      echo "export PULUMI_SKIP_UPDATE_CHECK=true"
      echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
      ;;
  esac
}

mode=${PRECOG_PULUMI_ENGINE:-auto}
case "$mode" in auto|cache|existing) ;; *) die "PRECOG_PULUMI_ENGINE must be auto, cache or existing (got '$mode')" ;; esac

if [ "$mode" != cache ]; then
  if dir=$(existing_engine); then
    say "using the pulumi installed at $dir ($(PULUMI_SKIP_UPDATE_CHECK=true "$dir/pulumi" version 2>/dev/null || echo '?'))"
    answer "$dir"
    exit 0
  fi
  [ "$mode" = existing ] && die "no complete ordinary install found (pulumi, pulumi-language-nodejs, and the postgresql and random plugins)"
fi

if [ -z "$(missing_parts)" ]; then
  say "using the cached engine $key"
  answer "$bindir"
  exit 0
fi

status=0
build_missing || status=$?
[ "$status" = 0 ] || [ "$status" = 3 ] || exit "$status"
left=$(missing_parts | tr '\n' ' ')
if [ -z "$left" ]; then
  say "engine complete: $bindir"
  answer "$bindir"
  exit 0
fi
say "engine incomplete, missing: $left"
case "$cmd" in
  build)
    printf '%s\n' "$bindir"
    exit 3
    ;;
  *)
    if [ "${PRECOG_PULUMI_ALLOW_MISSING_PROVIDERS:-}" = 1 ] && [ -x "$bindir/pulumi" ] && langhost_current; then
      say "PRECOG_PULUMI_ALLOW_MISSING_PROVIDERS=1: answering anyway; programs that use a missing provider will fail"
      answer "$bindir"
      exit 0
    fi
    say "set PRECOG_PULUMI_PROVIDER_DIR to a folder with the provider binaries, or PRECOG_PULUMI_ALLOW_MISSING_PROVIDERS=1"
    exit 3
    ;;
esac
