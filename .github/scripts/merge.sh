#!/usr/bin/env bash
# 认定并归档: merge one pull request only when the gate passes now, signed with academic affairs' key
# (`dekt merge`: git merge --no-ff -S, the review record as signed trailers), push it to the default branch
# with the GitHub App's token, then start the publish workflow. Usage: merge.sh NUMBER
# Environment: DEKT_SIGNING_KEY (the private key's file), PUSH_TOKEN (the App's token), GH_TOKEN (gh's).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${DEKT_SIGNING_KEY:?DEKT_SIGNING_KEY is not set (the file of academic affairs SSH signing key)}"
: "${PUSH_TOKEN:?PUSH_TOKEN is not set (a token allowed to update the default branch)}"
pr=$1
work=$(mktemp -d)

"$SCRIPTS/pr-record.sh" "$pr" "$work/pr.json"
dekt gate --pr "$work/pr.json" --status "$work/status.json"
sha=$(jq -r .headRefOid "$work/pr.json")
# the decision just made, on this head, for anyone reading the pull request
gh api --method POST "repos/$GITHUB_REPOSITORY/statuses/$sha" -f context="$STATUS_CONTEXT" \
  -f state="$(jq -r .state "$work/status.json")" -f description="$(jq -r .description "$work/status.json")" >/dev/null
git_fetch "refs/pull/$pr/head"
if [ "$(git rev-parse FETCH_HEAD)" != "$sha" ]; then
  echo "::error::#$pr 的头提交已变 (the pull request's head moved since the gate decided)" >&2
  exit 1
fi
# merges into the checked-out default branch, signed; exits 1 unless rules/allowed_signers trusts the key
dekt merge --pr "$work/pr.json" --key "$DEKT_SIGNING_KEY"
# The App's token: the ruleset lets the App bypass it (GITHUB_TOKEN cannot be given a bypass). A push, not a
# force-push: if the default branch moved meanwhile, this fails and nothing is published.
GH_TOKEN=$PUSH_TOKEN git -c credential.helper= -c 'credential.helper=!gh auth git-credential' \
  push --quiet origin "HEAD:refs/heads/$DEFAULT_BRANCH"
# The App's push starts publish by its push trigger too; this start does not depend on it (one concurrency group:
# a second run waits, then finds its outputs unchanged).
gh workflow run publish.yml --ref "$DEFAULT_BRANCH"
