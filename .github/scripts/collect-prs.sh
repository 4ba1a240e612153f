#!/usr/bin/env bash
# The open pull requests' complete records for the notice list, as one JSON list. Any failure fails the step:
# a notice list missing a batch must never be published. Usage: collect-prs.sh OUT.json
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
out=$1
work=$(mktemp -d)

prs=$(open_prs)
listed=$(printf '%s' "$prs" | grep -c . || true)
for pr in $prs; do
  "$SCRIPTS/pr-record.sh" "$pr" "$work/pr-$pr.json"
done
if [ "$listed" -eq 0 ]; then echo '[]' >"$out"; else jq -s . "$work"/pr-*.json >"$out"; fi
got=$(jq length "$out")
if [ "$got" -ne "$listed" ]; then
  echo "::error::收集到 $got 个合并请求，gh 列出 $listed 个 (collected $got pull requests, gh listed $listed)" >&2
  exit 1
fi
echo "公示名单的合并请求 pull requests for the notice list: $got"
