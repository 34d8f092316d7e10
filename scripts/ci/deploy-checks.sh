#!/usr/bin/env bash
# deploy-checks.sh: what the deploy workflow checks before an approved staging or prod job applies
# (docs/ci.md). Each check prints why it refuses and what to do, and exits 1; nothing is deployed.
#
#   bash scripts/ci/deploy-checks.sh previewed-commit SHA [BRANCH]
#       HEAD is SHA (the commit the ungated preview job previewed and the reviewer saw), and BRANCH
#       (default main) on origin still points at it: a later commit is previewed and deployed by
#       its own run, never applied unreviewed by this one.
#   bash scripts/ci/deploy-checks.sh secrets-provider STACK
#       Pulumi.STACK.yaml names an awskms:// secrets provider (the stack's own KMS key), so no
#       passphrase decrypts the stack's secrets.
set -euo pipefail

die() { printf 'deploy-checks: %s\n' "$*" >&2; exit 1; }
usage() { printf 'usage: bash scripts/ci/deploy-checks.sh previewed-commit SHA [BRANCH] | secrets-provider STACK\n' >&2; exit 2; }

case "${1:-}" in
  previewed-commit)
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    previewed=$2
    branch=${3:-main}
    [[ $previewed =~ ^[0-9a-f]{40}$ ]] || die "previewed commit \"$previewed\" is not a full commit SHA: the preview job's output is missing; rerun the whole workflow."
    head=$(git rev-parse HEAD)
    [ "$head" = "$previewed" ] ||
      die "checked out $head, but the preview showed $previewed: refusing to apply a commit nobody previewed. Nothing was deployed."
    tip=$(git ls-remote --exit-code origin "refs/heads/$branch" | cut -f1) ||
      die "cannot read $branch on origin (git ls-remote failed): refusing, since it cannot tell whether $branch moved. Nothing was deployed."
    [ "$tip" = "$previewed" ] ||
      die "$branch moved from $previewed (previewed) to $tip since the preview: the run for $tip previews and deploys it. Nothing was deployed."
    echo "deploy-checks: applying $previewed, the commit previewed, still the tip of $branch."
    ;;
  secrets-provider)
    [ $# -eq 2 ] || usage
    file=Pulumi.$2.yaml
    [ -f "$file" ] || die "$file not found (run from the project's folder)."
    provider=$(sed -n 's/^secretsprovider:[[:space:]]*//p' "$file")
    [[ $provider == awskms://* ]] ||
      die "$file has no awskms:// secrets provider (${provider:-none}): its secrets would need a passphrase. Give the stack its own KMS key once, as docs/ci.md says (pulumi stack change-secrets-provider --stack $2 'awskms://alias/precog-$2-state?region=…'), and commit the file. Nothing was deployed."
    echo "deploy-checks: $2's secrets provider is its own KMS key (${provider%%\?*})."
    ;;
  *) usage ;;
esac
