#!/usr/bin/env bash
# 认定并归档: merge one pull request only when the gate passes now, with the review record as trailers, then
# start the publish workflow (a merge made with GITHUB_TOKEN starts no workflow by itself). Usage: merge.sh NUMBER
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
pr=$1
work=$(mktemp -d)

"$SCRIPTS/pr-record.sh" "$pr" "$work/pr.json"
dekt gate --pr "$work/pr.json" --status "$work/status.json"
dekt merge-message --pr "$work/pr.json" >"$work/message.txt"
sha=$(jq -r .headRefOid "$work/pr.json")
# the required check must be green on this head for the merge; the decision is the one just made
gh api --method POST "repos/$GITHUB_REPOSITORY/statuses/$sha" -f context="$STATUS_CONTEXT" \
  -f state="$(jq -r .state "$work/status.json")" -f description="$(jq -r .description "$work/status.json")" >/dev/null
gh pr merge "$pr" --merge --match-head-commit "$sha" \
  --subject "$(head -n 1 "$work/message.txt")" --body "$(tail -n +3 "$work/message.txt")"
gh workflow run publish.yml --ref "$DEFAULT_BRANCH"
