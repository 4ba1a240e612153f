#!/usr/bin/env bash
# 表格收件箱 · Convert spreadsheets uploaded to inbox/<系部>/ on a pull request into claim files.
#
# Runs in a checkout of the DEFAULT branch, with that branch's dekt on PATH: nothing from the pull request is run.
# The pull request's uploads are read from Git as data (git cat-file), converted with `dekt import-claims`; on
# success the claim files are committed to the pull request's branch (the uploads removed), validated, the commit
# status `validate` set (a push with GITHUB_TOKEN starts no workflow) and a summary commented; on failure every
# problem is commented at its cell and nothing is changed.
#
# Environment: PR (number), BASE_SHA, HEAD_SHA, HEAD_REF (the branch), GITHUB_REPOSITORY, GH_TOKEN (for gh and the
# push); PUSH_URL overrides where to push (tests: a bare repository); MAX_BYTES (default 5 MB). Uses gh and git.
set -euo pipefail

: "${PR:?}" "${BASE_SHA:?}" "${HEAD_SHA:?}" "${HEAD_REF:?}" "${GITHUB_REPOSITORY:?}"
MAX_BYTES="${MAX_BYTES:-5242880}"
PUSH_URL="${PUSH_URL:-https://x-access-token:${GH_TOKEN:-}@github.com/${GITHUB_REPOSITORY}.git}"
BOT=(-c "user.name=github-actions[bot]" -c "user.email=41898282+github-actions[bot]@users.noreply.github.com")

work="$(mktemp -d)"
trap 'git worktree remove --force "$work/head" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
comment="$work/comment.md"

# Text from the pull request (file names) made inert in Markdown.
md() { printf '%s' "$1" | tr '\r\n' '  ' | sed 's/[][\\`*_{}()#+!|<>~]/\\&/g; s/@/@\xe2\x80\x8b/g'; }

say() { gh pr comment "$PR" --body-file "$comment"; }

status() { # state description sha
  gh api --method POST "repos/${GITHUB_REPOSITORY}/statuses/$3" \
    -f state="$1" -f context=validate -f description="$2" >/dev/null
}

git fetch --quiet --no-tags "$PUSH_URL" "+refs/heads/${HEAD_REF}:refs/dekt-inbox/head"
if [ "$(git rev-parse refs/dekt-inbox/head)" != "$HEAD_SHA" ]; then
  echo "the branch ${HEAD_REF} moved on since this run started; the next run converts it" >&2
  exit 0
fi

mapfile -d '' added < <(git diff --name-only --no-renames --diff-filter=A -z "$BASE_SHA" "$HEAD_SHA" -- inbox/)
if [ "${#added[@]}" -eq 0 ]; then
  echo "no upload under inbox/" >&2
  exit 0
fi

git worktree add --quiet --detach "$work/head" "$HEAD_SHA"
refused=()
depts=() # department folders named by the uploads, in order; files go to $work/in/d<index>/<n>/<name>
n=0
for path in "${added[@]}"; do
  dept="$(printf '%s' "$path" | cut -d/ -f2)"
  name="${path##*/}"
  ext="$(printf '%s' "${name##*.}" | tr '[:upper:]' '[:lower:]')"
  size="$(git cat-file -s "$HEAD_SHA:$path")"
  if [ "$(printf '%s' "$path" | tr -cd '/' | wc -c)" -ne 2 ]; then
    refused+=("$(md "$path")：请直接放在 inbox/<系部>/ 下 (put the file directly in inbox/<department>/)")
  elif [[ ! "$ext" =~ ^(xlsx|xls|ods|csv)$ ]] || [ "$name" = "$ext" ]; then
    refused+=("$(md "$path")：不是表格文件，只接受 .xlsx、.xls、.ods、.csv (not a spreadsheet: .xlsx, .xls, .ods or .csv only)")
  elif [ "$size" -gt "$MAX_BYTES" ]; then
    refused+=("$(md "$path")：文件过大（${size} 字节，上限 ${MAX_BYTES}）(file too large)")
  else
    k=-1
    for i in "${!depts[@]}"; do if [ "${depts[$i]}" = "$dept" ]; then k=$i; fi; done
    if [ "$k" -lt 0 ]; then
      depts+=("$dept")
      k=$((${#depts[@]} - 1))
    fi
    n=$((n + 1))
    mkdir -p "$work/in/d$k/$n"
    git cat-file blob "$HEAD_SHA:$path" >"$work/in/d$k/$n/$name"
  fi
done

{
  echo "## 表格导入 · Spreadsheet import"
  echo
  for r in "${refused[@]}"; do echo "- ❌ $r"; done
  echo
} >"$comment"

ok=1
[ "${#refused[@]}" -eq 0 ] || ok=0
for k in "${!depts[@]}"; do
  dept="${depts[$k]}"
  mapfile -d '' files < <(find "$work/in/d$k" -type f -print0 | sort -z)
  check=() # once anything is refused, the rest is only checked, so that every problem is reported at once
  [ "$ok" -eq 1 ] || check=(--check)
  if dekt import-claims --repo "$work/head" --dept "$dept" --summary "$work/summary.md" "${check[@]}" "${files[@]}" >"$work/out.txt" 2>&1 && [ "$ok" -eq 1 ]; then
    cat "$work/summary.md" >>"$comment"
  else
    ok=0
    if [ -s "$work/summary.md" ]; then cat "$work/summary.md" >>"$comment"; else
      echo "- ❌ inbox/$(md "$dept")：$(md "$(tail -n 1 "$work/out.txt")")" >>"$comment"
    fi
  fi
  rm -f "$work/summary.md"
done

if [ "$ok" -ne 1 ]; then
  {
    echo
    echo "未做任何改动。请在表格中改正以上各处，再上传到同一分支（可先删除原文件）。"
    echo "(Nothing was changed. Fix the cells above and upload the sheet to the same branch again.)"
  } >>"$comment"
  say
  exit 1
fi

(
  cd "$work/head"
  git rm --quiet -- "${added[@]}"
  git add -- records/claims
  git "${BOT[@]}" commit --quiet -m "表格转换为申报 · Convert inbox uploads of #${PR} into claim files"
)
new_sha="$(git -C "$work/head" rev-parse HEAD)"
git -C "$work/head" push --quiet "$PUSH_URL" "HEAD:refs/heads/${HEAD_REF}"

# The push made with GITHUB_TOKEN starts no workflow: validate here and report under the same check name.
if (cd "$work/head" && dekt validate --base "$BASE_SHA" --format github --summary "$work/validate.md" >/dev/null); then
  status success "dekt validate: 没有问题 (no problems)" "$new_sha"
else
  status failure "dekt validate: 有问题，见评论 (problems, see the comment)" "$new_sha"
  cat "$work/validate.md" >>"$comment"
fi
{
  echo
  echo "已提交到本分支：$(git -C "$work/head" rev-parse --short HEAD)，上传的表格已移除（其 SHA-256 记在每个申报的 evidence 中）。"
  echo "(Committed to this branch; the uploads are removed, their SHA-256 is in each claim's evidence.)"
} >>"$comment"
say
