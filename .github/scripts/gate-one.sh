#!/usr/bin/env bash
# Decide one pull request and post its status "dekt/review-gate" on the head commit, only when it changed
# (GitHub keeps at most 1,000 statuses per context on a commit). Usage: gate-one.sh NUMBER WORK_DIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
pr=$1
work=$2

"$SCRIPTS/pr-record.sh" "$pr" "$work/pr-$pr.json"
rc=0
dekt gate --pr "$work/pr-$pr.json" --status "$work/status-$pr.json" >"$work/gate-$pr.txt" 2>&1 || rc=$?
if [ "$rc" -gt 1 ]; then # 1 is "may not be merged"; anything else is an error
  cat "$work/gate-$pr.txt" >&2
  exit "$rc"
fi
sha=$(jq -r .headRefOid "$work/pr-$pr.json")
posted=$(gh api "repos/$GITHUB_REPOSITORY/commits/$sha/status" \
  --jq "[.statuses[] | select(.context == \"$STATUS_CONTEXT\") | {state, description}] | first // {}")
if jq -e --argjson posted "$posted" '{state, description} == $posted' "$work/status-$pr.json" >/dev/null; then
  echo "#$pr: 状态未变 (status unchanged)"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/statuses/$sha" -f context="$STATUS_CONTEXT" \
    -f state="$(jq -r .state "$work/status-$pr.json")" -f description="$(jq -r .description "$work/status-$pr.json")" >/dev/null
  echo "#$pr: 已更新状态 (status posted): $(jq -r .state "$work/status-$pr.json")"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "### #$pr"; echo '```'; cat "$work/gate-$pr.txt"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
fi
