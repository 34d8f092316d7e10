#!/usr/bin/env bash
# pulumi-engine.sh: the Pulumi engine this project runs with: the CLI, the Node.js language host and
# the postgresql and random resource plugins, at the versions package-lock.json locks.
#
#   bash scripts/pulumi-engine.sh [build]   get what is missing; print the bin folder (stdout)
#   bash scripts/pulumi-engine.sh path      the same (kept for scripts that ask for the folder)
#   bash scripts/pulumi-engine.sh env       print `export` lines for eval: PATH, PULUMI_HOME and the
#                                           two PULUMI_* switches that keep the engine offline
#   bash scripts/pulumi-engine.sh help
#
#   eval "$(bash scripts/pulumi-engine.sh env)"
#
# Where each part comes from, in order:
#   1. An ordinary install: `pulumi` on PATH at the locked version with its language host, and the
#      two plugins at the locked versions in `pulumi plugin ls`. Then that install is used as it is.
#   2. The cache, ${PRECOG_CACHE_DIR:-$HOME/.cache/precog-db}/pulumi-engine/<versions>/, filled part by
#      part: the CLI built from the Go module proxy; the language host and the providers built from
#      their upstream source archives (PRECOG_PULUMI_SOURCE_DIR, default ../shared/vendor beside the
#      checkout when it is there) with the Go module proxy for their dependencies. Providers are
#      installed as plugins into the cache's own PULUMI_HOME (`pulumi plugin install --file`).
#      Each part records what it was built from (the archive's sha256) and its file's size and time;
#      a changed archive, or a file replaced since, makes it again.
#   3. Otherwise it stops (exit 3) and prints the commands that install the parts the ordinary way.
#
# The long first build (several minutes per part on 2 cores) says what it builds and how long it
# took; a complete cache answers in well under a second and runs no Go command. Progress goes to
# stderr; stdout carries only the answer. docs/pulumi-engine.md says what was built and measured.
#
# Settings (environment):
#   PRECOG_CACHE_DIR           cache root                               default: $HOME/.cache/precog-db
#   PRECOG_PULUMI_SOURCE_DIR   folder of the upstream source archives   default: <checkout>/../shared/vendor
#   PRECOG_PULUMI_ENGINE       auto | cache | existing                  default: auto (order above)
#   PRECOG_GO_BUILD_JOBS       go build -p                              default: 2 (builds run under nice)
#
# Exit codes: 0 ok; 1 error; 2 usage; 3 a part cannot be had here (the message says how to install it).
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
# Versions: those of the npm packages the project locks. The plugins must report exactly these,
# since the engine looks a plugin up by the version the SDK package asks for.

# npm's lock file puts each package's "version" on the line after its "node_modules/<name>" key.
# Read with awk, not node: a cached answer must stay well under a second.
lock_version() { # lock_version <npm package>
  awk -v key="\"node_modules/$1\": {" '
    index($0, key) { want = 1; next }
    want && /"version":/ { gsub(/[",]/, "", $2); print $2; found = 1; exit }
    END { exit !found }
  ' "$repo/package-lock.json"
}

[ -f "$repo/package-lock.json" ] || die "no package-lock.json in $repo"
sdk_ver=$(lock_version @pulumi/pulumi) || die "@pulumi/pulumi is not in package-lock.json"
pg_ver=$(lock_version @pulumi/postgresql) || die "@pulumi/postgresql is not in package-lock.json"
random_ver=$(lock_version @pulumi/random) || die "@pulumi/random is not in package-lock.json"
cli_ver=v$sdk_ver

cache_root=${PRECOG_CACHE_DIR:-${HOME:?HOME is not set}/.cache/precog-db}/pulumi-engine
key="$cli_ver-pg$pg_ver-random$random_ver"
keydir=$cache_root/$key
bindir=$keydir/bin
home=$keydir/home
stamps=$keydir/stamps
dynamic_src=$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs

if [ -n "${PRECOG_PULUMI_SOURCE_DIR:-}" ]; then
  sources=$PRECOG_PULUMI_SOURCE_DIR
  [ -d "$sources" ] || die "PRECOG_PULUMI_SOURCE_DIR=$sources is not a folder"
elif [ -d "$repo/../shared/vendor" ]; then
  sources=$(cd "$repo/../shared/vendor" && pwd)
else
  sources=""
fi

# The source archive of a part, or nothing: exactly one file must match.
archive_of() { # archive_of <part>
  local patterns files
  case "$1" in
    pulumi-language-nodejs) patterns=("pulumi-language-nodejs-$cli_ver.tar.gz") ;;
    pulumi-resource-postgresql) patterns=("pulumi-postgresql-*.tar.gz" "terraform-provider-postgresql-*.tar.gz") ;;
    pulumi-resource-random) patterns=("pulumi-random-*.tar.gz") ;;
    *) return 0 ;;
  esac
  [ -n "$sources" ] || return 0
  local p found=()
  for p in "${patterns[@]}"; do
    files=$(cd "$sources" && compgen -G "$p" || true)
    [ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || return 0
    found+=("$sources/$files")
  done
  printf '%s\n' "${found[@]}"
}

# What a part is built from, as recorded in its stamp: "archive <sha256>..." for source builds.
archive_stamp() { # archive_stamp <part>
  local a
  a=$(archive_of "$1")
  [ -n "$a" ] || return 0
  printf 'archive'
  while IFS= read -r f; do printf ' %s' "$(sha256sum "$f" | cut -c1-64)"; done <<<"$a"
  printf '\n'
}

# Checksums for module versions that the Go checksum database does not know (its lookup answers
# 404). Recorded from the Go module proxy on 2026-11-24: they pin the content (any change fails the
# build) but were not verified by the checksum database.
pinned_sums() {
  echo "github.com/pulumi/pulumi/pkg/v3 v3.248.0 h1:MkvI29cYE3QUEvSl+7kZrV5lQ6CBIt54WjYt2HEXDSg="
  echo "github.com/pulumi/pulumi/pkg/v3 v3.248.0/go.mod h1:NBqXwZgQ9XVbqBQrxzrPPHttFCXg2Qe9rIZP/0NGMOk="
}

# ---------------------------------------------------------------------------------------------
# State of the cache. A part is current when its binary exists and its stamp says what it was made
# from; a source-built part whose archive has changed since is not.

parts=(pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-resource-postgresql pulumi-resource-random)

plugin_version() { case "$1" in postgresql) echo "$pg_ver" ;; random) echo "$random_ver" ;; esac; }

part_file() { # the file a part lives in
  case "$1" in
    pulumi-resource-postgresql|pulumi-resource-random)
      local n=${1#pulumi-resource-}
      echo "$home/plugins/resource-$n-v$(plugin_version "$n")/$1" ;;
    *) echo "$bindir/$1" ;;
  esac
}

part_current() { # part_current <part>
  local stamp=$stamps/$1 want
  [ -x "$(part_file "$1")" ] && [ -f "$stamp" ] || return 1
  case "$(head -c 8 "$stamp")" in
    archive*)
      want=$(archive_stamp "$1")
      [ -z "$want" ] || [ "$want" = "$(cat "$stamp")" ] || return 1 ;;
  esac
  binary_unchanged "$1"
}

# The placed binary's size and modification time, kept beside its stamp (<part>.binary), so a part
# whose file was replaced after it was placed (by another build, or by hand) is not taken for the
# one its stamp describes. A stamp from before this record gets it on first use.
binary_id() { stat -c '%s %Y' "$(part_file "$1")"; }
binary_unchanged() { # binary_unchanged <part>
  local record=$stamps/$1.binary
  if [ -f "$record" ]; then
    [ "$(cat "$record")" = "$(binary_id "$1")" ] && return 0
    say "$1: $(part_file "$1") changed after it was placed; it will be made again"
    return 1
  fi
  binary_id "$1" > "$record"
}

missing_parts() { local p; for p in "${parts[@]}"; do part_current "$p" || echo "$p"; done; }

# ---------------------------------------------------------------------------------------------
# An engine installed the ordinary way (`pulumi` from Pulumi's installer, plugins from
# `pulumi plugin install`), at exactly the locked versions.

under_cache() { case "$(readlink -f "$1")" in "$(readlink -m "$cache_root")"/*) return 0 ;; *) return 1 ;; esac; }

ordinary_pulumi() { # the ordinary `pulumi` at the locked version, if any
  local p
  p=$(command -v pulumi 2>/dev/null) || return 1
  under_cache "$p" && return 1
  [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$p" version 2>/dev/null)" = "$cli_ver" ] || return 1
  printf '%s\n' "$p"
}

ordinary_plugin() { # ordinary_plugin <name>: the binary of `pulumi plugin install resource <name> <locked>`
  local d=${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$1-v$(plugin_version "$1")
  [ -x "$d/pulumi-resource-$1" ] && ! under_cache "$d" && printf '%s\n' "$d/pulumi-resource-$1"
}

ordinary_engine() { # the bin folder of a complete ordinary install
  local p dir
  p=$(ordinary_pulumi) || return 1
  dir=$(dirname "$p")
  [ -x "$dir/pulumi-language-nodejs" ] && [ -x "$dir/pulumi-resource-pulumi-nodejs" ] || return 1
  ordinary_plugin postgresql >/dev/null && ordinary_plugin random >/dev/null || return 1
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------------------------------------
# Building.

go_env_setup() {
  if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || return 1
    PATH=/usr/local/go/bin:$PATH
  fi
  export GOTOOLCHAIN=local
  local v
  v=$(go env GOVERSION)
  # The Pulumi modules at v3.248.0 declare go 1.25.11.
  printf '%s\n%s\n' go1.25.11 "$v" | sort -V -C || die "$v is too old: the Pulumi modules need go1.25.11 or newer"
  jobs=${PRECOG_GO_BUILD_JOBS:-2}
}

gobuild() { nice -n 10 go build -p "$jobs" -trimpath "$@"; }

# Runs "$@" in a subshell with errexit really on (it is ignored in `if`/`||` contexts).
checked() { local rc; set +e; ( set -e; "$@" ); rc=$?; set -e; return $rc; }

new_workdir() { mktemp -d "$cache_root/.build/$1.XXXXXX"; }

# Copies a module's replace lines that name a module version (not a folder of its own repository).
copy_replaces() { # copy_replaces <go.mod file>
  local line
  while IFS= read -r line; do
    [ -n "$line" ] && go mod edit -replace="$line"
  done < <(go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const r of JSON.parse(s).Replace || []) {
        if (!r.New.Version) continue;
        console.log(r.Old.Path + (r.Old.Version ? "@" + r.Old.Version : "") + "=" + r.New.Path + "@" + r.New.Version);
      }
    });')
}

# The embedded schema a provider binary serves, with its version set (what upstream's generate.go
# writes).
versioned_schema() { # versioned_schema <cmd folder> <version>
  node -e '
    const fs = require("fs");
    const s = JSON.parse(fs.readFileSync(process.argv[1] + "/schema.json", "utf8"));
    s.version = process.argv[2];
    fs.writeFileSync(process.argv[1] + "/schema-embed.json", JSON.stringify(s));
  ' "$1" "$2"
}

build_pulumi_in() { # build_pulumi_in <work folder>
  local mod=github.com/pulumi/pulumi/pkg/v3 gomod
  cd "$1"
  go mod init precog-db.local/pulumi-cli 2>/dev/null
  go mod edit -go=1.25.11 -require="$mod@$cli_ver"
  pinned_sums > go.sum
  gomod=$(go mod download -json "$mod@$cli_ver" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const j = JSON.parse(s); if (j.Error) { console.error(j.Error); process.exit(1); } console.log(j.GoMod); });')
  copy_replaces "$gomod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$mod" > tools.go
  go mod tidy
  gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_ver" \
    -o "$1/out" "$mod/cmd/pulumi"
  "$1/out" version >/dev/null
}

# Upstream's go.mod points pkg/v3 and sdk/v3 at folders of the monorepo; here they are the modules
# at the CLI's version. The tests are left out (they need the monorepo's test data).
build_pulumi_language_nodejs_in() { # <work folder> <archive>
  cd "$1"
  tar -xzf "$2"
  cd pulumi-language-nodejs
  rm -f ./*_test.go
  go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
    -require="github.com/pulumi/pulumi/pkg/v3@$cli_ver" -require="github.com/pulumi/pulumi/sdk/v3@$cli_ver"
  pinned_sums >> go.sum
  go mod tidy
  gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_ver" -o "$1/out" .
}

# pulumi-postgresql's provider module replaces the Terraform provider with ../upstream, patched.
# One dependency version it pins is not served by the module proxy; the next patch release is.
build_pulumi_resource_postgresql_in() { # <work folder> <pulumi-postgresql archive> <terraform provider archive>
  local p
  cd "$1"
  tar -xzf "$2"
  tar -xzf "$3"
  mv terraform-provider-postgresql pulumi-postgresql/upstream
  for p in pulumi-postgresql/patches/*.patch; do (cd pulumi-postgresql/upstream && patch -s -p1 < "../../$p"); done
  cd pulumi-postgresql/provider
  go mod edit -replace=github.com/aws/aws-sdk-go-v2/feature/rds/auth@v1.6.26=github.com/aws/aws-sdk-go-v2/feature/rds/auth@v1.6.27
  versioned_schema cmd/pulumi-resource-postgresql "$pg_ver"
  gobuild -mod=mod -ldflags "-s -w -X github.com/pulumi/pulumi-postgresql/provider/v3/pkg/version.Version=$pg_ver" \
    -o "$1/out" ./cmd/pulumi-resource-postgresql
}

build_pulumi_resource_random_in() { # <work folder> <archive>
  cd "$1"
  tar -xzf "$2"
  cd pulumi-random/provider
  versioned_schema cmd/pulumi-resource-random "$random_ver"
  gobuild -mod=mod -ldflags "-s -w -X github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version=$random_ver" \
    -o "$1/out" ./cmd/pulumi-resource-random
}

# Puts a finished binary in place (an atomic rename in the same filesystem) and writes its stamp.
place() { # place <part> <binary> <stamp text>
  local part=$1 file
  case "$part" in
    pulumi-resource-postgresql|pulumi-resource-random)
      local n=${part#pulumi-resource-}
      PULUMI_HOME=$home PULUMI_SKIP_UPDATE_CHECK=true "$bindir/pulumi" plugin install resource "$n" \
        "$(plugin_version "$n")" --file "$2" >/dev/null 2>&1 \
        || die "pulumi plugin install resource $n --file $2 failed"
      ;;
    *)
      file=$(mktemp "$bindir/.$part.XXXXXX")
      cp "$2" "$file" && chmod 0755 "$file" && mv -f "$file" "$bindir/$part"
      ;;
  esac
  printf '%s\n' "$3" > "$stamps/.$part" && mv -f "$stamps/.$part" "$stamps/$part"
  binary_id "$part" > "$stamps/$part.binary"
}

# Builds one part from source (the Go module proxy, plus its archives), timing it.
build_part() { # build_part <part> <what it takes>
  local part=$1 w t0=$SECONDS archives=() stamp
  mapfile -t archives < <(archive_of "$part")
  stamp=$(archive_stamp "$part")
  [ -n "$stamp" ] || stamp="go module proxy"
  say "building $part from ${archives[*]:-the Go module proxy} ($2)"
  w=$(new_workdir "$part")
  checked "build_${part//-/_}_in" "$w" "${archives[@]}" \
    || die "building $part failed; the work folder stays until the next build: $w"
  place "$part" "$w/out" "$stamp"
  rm -rf "$w"
  say "$part built in $((SECONDS - t0)) s"
}

# Takes a part from an ordinary install when it has it at the locked version.
take_ordinary() { # take_ordinary <part>; fails when there is none
  local src
  case "$1" in
    pulumi) src=$(ordinary_pulumi) ;;
    pulumi-language-nodejs) src=$(ordinary_pulumi) && src=$(dirname "$src")/pulumi-language-nodejs && [ -x "$src" ] ;;
    pulumi-resource-pulumi-nodejs) src=$dynamic_src && [ -f "$src" ] ;;
    pulumi-resource-*) src=$(ordinary_plugin "${1#pulumi-resource-}") ;;
  esac || return 1
  place "$1" "$src" "copied $src"
  say "$1: taken from $src"
}

# What cannot be had here: the ordinary way to install it.
ordinary_commands() {
  cat >&2 <<MSG
pulumi-engine: the Pulumi engine is incomplete: $*
Install the parts the ordinary way (this needs the internet), then rerun:
  curl -fsSL https://get.pulumi.com | sh -s -- --version ${cli_ver#v}
  pulumi plugin install resource postgresql $pg_ver
  pulumi plugin install resource random $random_ver
or give the folder of their source archives in PRECOG_PULUMI_SOURCE_DIR (see docs/pulumi-engine.md).
MSG
}

build_missing() {
  local missing part left=()
  mkdir -p "$bindir" "$home" "$stamps" "$cache_root/.build"
  # One build at a time per cache root; a second caller waits, then finds the work done.
  exec 9>"$cache_root/.lock"
  if ! flock -n 9; then
    say "another build holds $cache_root/.lock; waiting"
    flock 9
  fi
  # Work folders of an interrupted or failed earlier build (no build runs: we hold the lock).
  find "$cache_root/.build" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  missing=$(missing_parts)
  for part in $missing; do
    take_ordinary "$part" && continue
    [ "$part" = pulumi-resource-pulumi-nodejs ] && die "$dynamic_src is missing: run 'npm ci' first"
    if [ "$part" != pulumi ] && [ -z "$(archive_of "$part")" ]; then left+=("$part"); continue; fi
    go_env_setup || { left+=("$part (needs Go)"); continue; }
    case "$part" in
      pulumi) build_part pulumi "about 4 minutes on 2 cores with empty Go caches" ;;
      pulumi-language-nodejs) build_part "$part" "about 1 minute once the CLI's modules are downloaded" ;;
      pulumi-resource-postgresql) build_part "$part" "about 5 minutes on 2 cores with empty Go caches" ;;
      pulumi-resource-random) build_part "$part" "about 2 minutes on 2 cores with empty Go caches" ;;
    esac
  done
  if [ ${#left[@]} -gt 0 ]; then ordinary_commands "${left[*]}"; exit 3; fi
  write_manifest
}

write_manifest() {
  local t p
  t=$(mktemp "$keydir/.manifest.XXXXXX")
  {
    echo "key: $key"
    for p in "${parts[@]}"; do echo "$p: $(cat "$stamps/$p")"; done
    echo "go: $(go env GOVERSION 2>/dev/null || echo '-')"
    echo "completed: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$t"
  mv -f "$t" "$keydir/manifest.txt"
}

# ---------------------------------------------------------------------------------------------

answer() { # answer <bin folder> [PULUMI_HOME]
  case "$cmd" in
    build|path) printf '%s\n' "$1" ;;
    env)
      # shellcheck disable=SC2016  # $PATH is for the shell that evals this
      printf 'export PATH=%q:"$PATH"\n' "$1"
      [ -n "${2:-}" ] && printf 'export PULUMI_HOME=%q\n' "$2"
      echo "export PULUMI_SKIP_UPDATE_CHECK=true"
      echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
      ;;
  esac
}

mode=${PRECOG_PULUMI_ENGINE:-auto}
case "$mode" in auto|cache|existing) ;; *) die "PRECOG_PULUMI_ENGINE must be auto, cache or existing (got '$mode')" ;; esac

if [ "$mode" != cache ]; then
  if dir=$(ordinary_engine); then
    say "using the pulumi installed at $dir ($cli_ver)"
    answer "$dir"
    exit 0
  fi
  if [ "$mode" = existing ]; then ordinary_commands "no complete install at the locked versions"; exit 3; fi
fi

if [ -n "$(missing_parts)" ]; then build_missing; say "engine complete: $keydir"; fi
answer "$bindir" "$home"
