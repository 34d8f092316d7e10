#!/usr/bin/env bash
# test.sh: the README's test command. Sets up what the tests need (scripts/setup.sh: PostgreSQL's
# server and pgaudit, the node packages, the Pulumi CLI), then runs every test (`npm test`, which
# builds dist/ and runs vitest; arguments go to vitest).
#
#   bash scripts/test.sh [vitest arguments...]
#
# The suites that deploy the whole program (tests/e2e) need the upstream Pulumi plugins as well
# (bash scripts/pulumi-engine.sh install-plugins); without them vitest leaves them out and says so in
# one line. docs/pulumi-engine.md says what runs where.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
printf '\n== tests\n'
npm test -- "$@"
