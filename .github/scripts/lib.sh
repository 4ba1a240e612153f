# Shared by the workflow scripts (sourced): the forge is read with `gh` from PATH; every failure stops the caller.
# shellcheck shell=bash

: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set (owner/name)}"
: "${DEFAULT_BRANCH:?DEFAULT_BRANCH is not set}"
# errexit in $(…) too: without it a failing gh inside a command substitution would go unnoticed
shopt -s inherit_errexit
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATUS_CONTEXT="dekt/review-gate"
PR_LIMIT=1000 # gh pr list stops here; a list that long cannot be trusted to be whole

# Git over HTTPS with the token gh holds (GH_TOKEN), for this command only: the checkout keeps no credentials.
git_fetch() {
  git -c credential.helper= -c 'credential.helper=!gh auth git-credential' fetch --quiet origin "$@"
}

# The open pull requests' numbers, one a line; fails when gh fails or the list may be cut at the limit.
open_prs() {
  local numbers count
  numbers=$(gh pr list --state open --limit "$PR_LIMIT" --json number --jq '.[].number') || return 1
  count=$(printf '%s' "$numbers" | grep -c . || true)
  if [ "$count" -ge "$PR_LIMIT" ]; then
    echo "::error::gh pr list 返回了 $count 个，可能不完整 (the list of open pull requests may be cut short at $PR_LIMIT)" >&2
    return 1
  fi
  printf '%s\n' "$numbers" | grep . || true
}
