#!/usr/bin/env bash
# 认定并归档: merge one pull request only when the gate passes now, signed with academic affairs' key
# (`dekt merge`: git merge --no-ff -S, the review record as signed trailers), build the merged commit and record
# the transcripts it issued in the register (`dekt register --sign`: a second signed commit, only when something
# new was issued), push both to the default branch with the GitHub App's token in one push, then start the publish
# workflow. Any failure — the gate, the merge, the build (a font problem), the register — stops before the push:
# nothing reaches the default branch. Usage: merge.sh NUMBER
# Environment: DEKT_SIGNING_KEY (the private key's file), PUSH_TOKEN (the App's token), GH_TOKEN (gh's);
# DEKT_OUT (optional): the build folder, with the previous private outputs restored in it to render only what changed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${DEKT_SIGNING_KEY:?DEKT_SIGNING_KEY is not set (the file of academic affairs SSH signing key)}"
: "${PUSH_TOKEN:?PUSH_TOKEN is not set (a token allowed to update the default branch)}"
pr=$1
work=$(mktemp -d)
OUT=${DEKT_OUT:-$work/out}

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
# The transcripts of the merged commit, as publish will issue them (the same commit gives the same codes and PDFs;
# the register keeps the unsigned PDF's hash, so no certificate is needed here).
if ! dekt build --out "$OUT"; then
  echo "::error::合并后的构建失败，合并未推送 (the build of the merged commit failed: the merge is not pushed)" >&2
  exit 1
fi
# Appends and commits, signed, only what the register lacks; with nothing new it commits nothing and exits 0.
if ! dekt register --from "$OUT" --sign --key "$DEKT_SIGNING_KEY"; then
  echo "::error::签发登记失败，合并未推送 (recording the issued transcripts failed: the merge is not pushed)" >&2
  exit 1
fi
# The App's token: the ruleset lets the App bypass it (GITHUB_TOKEN cannot be given a bypass). One push of the
# merge and the register commit, not a force-push: if the default branch moved meanwhile, this fails and nothing
# is published.
GH_TOKEN=$PUSH_TOKEN git -c credential.helper= -c 'credential.helper=!gh auth git-credential' \
  push --quiet origin "HEAD:refs/heads/$DEFAULT_BRANCH"
# The App's push starts publish by its push trigger too; this start does not depend on it (one concurrency group:
# a second run waits, then finds its outputs unchanged).
gh workflow run publish.yml --ref "$DEFAULT_BRANCH"
