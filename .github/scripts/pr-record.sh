#!/usr/bin/env bash
# One pull request's complete record, as the gate decides it: gh's view, the timeline paged to the end, the file
# list from Git (not gh's first 100) and the content ids. Usage: pr-record.sh NUMBER OUT.json
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
pr=$1
out=$2

gh pr view "$pr" --json number,title,author,createdAt,files,reviews,labels,comments,commits,headRefOid,baseRefName,state,changedFiles \
  >"$out.view"
gh api graphql --paginate -f owner="${GITHUB_REPOSITORY%%/*}" -f repo="${GITHUB_REPOSITORY#*/}" -F number="$pr" \
  -f query="$(cat "$SCRIPTS/timeline.graphql")" >"$out.timeline"
git_fetch "refs/pull/$pr/head"
for oid in $(jq -r '.reviews[].commit.oid // empty' "$out.view" | sort -u); do
  # a commit force-pushed away may be gone: its approvals then count only if the head has the same content
  git cat-file -e "$oid^{commit}" 2>/dev/null || git_fetch "$oid" || echo "::notice::#$pr: 提交 $oid 已不可得 (commit gone)"
done
dekt content-ids --pr "$out.view" --timeline "$out.timeline" --base "origin/$DEFAULT_BRANCH" -o "$out"
rm -f "$out.view" "$out.timeline"
