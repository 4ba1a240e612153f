#!/usr/bin/env bash
# For `validate`: lay a pull request's data over the default branch's checkout, so the default branch's dekt
# judges it. Only records/ is taken (YAML and CSV, read as data), and rules/ too when the pull request changes
# it (a rules change is academic affairs' and needs their approval): code, workflows and CODEOWNERS stay the
# default branch's. Usage: overlay.sh COMMIT (the pull request's head, already fetched)
set -euo pipefail
head=$1
base=$(git rev-parse HEAD)
paths=(records)
if [ -n "$(git diff --name-only "$base...$head" -- rules)" ]; then
  paths+=(rules)
fi
# restore (no overlay): files the pull request deletes are deleted here too
git restore --source="$head" --staged --worktree -- "${paths[@]}"
echo "按默认分支的 dekt 检查 ${paths[*]} (checking ${paths[*]} of $head with the default branch's dekt)"
