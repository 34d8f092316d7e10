#!/usr/bin/env bash
# install-hooks.sh: points git at the project's hooks (.githooks: pre-push) by setting
# core.hooksPath. Run by npm's `prepare` (npm install, npm ci). Does nothing outside a git work
# tree (a packed tarball, an export) and leaves a core.hooksPath someone set to another folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Only in the project's own work tree (not, say, a copy inside another repository's folders).
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] || exit 0
current=$(git config --get core.hooksPath || true)
case "$current" in
  .githooks) ;;
  "") git config core.hooksPath .githooks && echo "install-hooks: core.hooksPath set to .githooks (pre-push runs the tests; skip with git push --no-verify)" >&2 ;;
  *) echo "install-hooks: core.hooksPath is already $current; leaving it (the project's hooks are in .githooks)" >&2 ;;
esac
