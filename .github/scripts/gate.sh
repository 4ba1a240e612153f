#!/usr/bin/env bash
# The review gate over every open pull request: one pull request's failure does not stop the others, and the
# step fails at the end when any failed or when fewer were decided than gh listed. Usage: gate.sh [WORK_DIR]
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=${1:-$(mktemp -d)}
mkdir -p "$work"

prs=$(open_prs)
listed=$(printf '%s' "$prs" | grep -c . || true)
decided=0
failed=""
for pr in $prs; do
  if "$SCRIPTS/gate-one.sh" "$pr" "$work"; then
    decided=$((decided + 1))
  else
    failed="$failed #$pr"
    echo "::error::审核关卡未能判定 #$pr (the gate could not decide #$pr)" >&2
  fi
done
echo "已判定 decided $decided / 列出 listed $listed"
if [ -n "$failed" ] || [ "$decided" -ne "$listed" ]; then
  echo "::error::未能判定：$failed (not decided:$failed)" >&2
  exit 1
fi
