"""The adapter's Git and timeline steps: complete the forge's record before the pure decision reads it.

- Content ids. For each commit a pull request's reviews point at (and its head), the id is a hash of what the
  pull request changes at that commit: ``git diff --raw`` from its merge base with the base branch, every
  line's path, old and new mode, old and new blob. A rebase over unrelated work gives the same id; a changed
  file gives another, and so does a rebase that keeps the approved blobs while main changed the same file
  meanwhile (the head would now revert that merged work). Commits the clone lacks get no id (their approvals
  then count only if they are on the head).
- The file list. gh lists at most 100 files; the adapter replaces ``files`` and ``changedFiles`` with
  ``git diff --name-only --no-renames`` between the merge base and the head (a rename is a deletion and an
  addition, so both folders are routed).
- The timeline. ``gh api graphql --paginate`` prints one JSON document a page (``--slurp``: a list of them);
  the nodes of every page become ``timelineItems``. A page with errors, or a last page that says there are
  more, is refused: a timeline cut short could hide a dismissed objection.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from ..diagnostics import DektError

# The query the workflows page through (.github/scripts/pr-record.sh sends this text). Two adjacent literals only to
# keep the source lines short: the value is .github/scripts/timeline.graphql byte for byte (test_workflows checks).
TIMELINE_QUERY = (
    """query($owner: String!, $repo: String!, $number: Int!, $endCursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      timelineItems(first: 100, after: $endCursor,"""
    """ itemTypes: [LABELED_EVENT, UNLABELED_EVENT, REVIEW_DISMISSED_EVENT]) {
        pageInfo { hasNextPage endCursor }
        nodes {
          __typename
          ... on LabeledEvent { createdAt actor { login } label { name } }
          ... on UnlabeledEvent { createdAt actor { login } label { name } }
          ... on ReviewDismissedEvent { createdAt actor { login } previousReviewState review { author { login } } }
        }
      }
    }
  }
}"""
)


def _git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def _merge_base(root: Path, oid: str, base: str) -> str | None:
    found = _git(root, "merge-base", base, oid)
    return found.strip() if found else None


def content_id(root: Path, oid: str, base: str) -> str | None:
    """The content id of commit ``oid`` against ``base``, or None when the clone lacks either."""
    merge_base = _merge_base(root, oid, base)
    if merge_base is None:
        return None
    raw = _git(root, "diff", "--raw", "--no-abbrev", "--no-renames", merge_base, oid)
    if raw is None:
        return None
    changes = []
    for line in raw.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.lstrip(":").split()
        if len(fields) == 5:  # old_mode new_mode old_blob new_blob status: what it changes from matters too
            changes.append(f"{' '.join(fields)}\t{path}")
    return "sha256:" + hashlib.sha256("\n".join(sorted(changes)).encode()).hexdigest()


def changed_files(root: Path, head: str, base: str) -> list[str]:
    """Every path the pull request changes at ``head`` against its merge base with ``base``; DektError if unknown."""
    merge_base = _merge_base(root, head, base)
    names = _git(root, "diff", "--name-only", "--no-renames", "-z", merge_base, head) if merge_base else None
    if names is None:
        raise DektError(
            f"本地仓库中没有提交 {head} 或基准 {base}，无法列出合并请求修改的文件；请先 git fetch"
            f" (the clone lacks commit {head} or base {base}: fetch them before listing the changed files)"
        )
    return sorted(p for p in names.split("\0") if p)


def add_content_ids(root: Path, pr: dict, base: str) -> dict:
    """A copy of ``pr`` with ``contentIds`` for its head and every reviewed commit the clone has."""
    oids = {pr.get("headRefOid")} | {(r.get("commit") or {}).get("oid") for r in pr.get("reviews", [])}
    ids = {oid: cid for oid in sorted(o for o in oids if o) if (cid := content_id(root, oid, base))}
    return {**pr, "contentIds": ids}


def add_git_files(root: Path, pr: dict, base: str) -> dict:
    """A copy of ``pr`` whose ``files`` and ``changedFiles`` come from Git, not from gh's first 100."""
    paths = changed_files(root, str(pr.get("headRefOid")), base)
    return {**pr, "files": [{"path": p} for p in paths], "changedFiles": len(paths)}


def timeline_nodes(text: str, source: str = "timeline.json") -> list[dict]:
    """The timeline nodes of every page ``gh api graphql --paginate`` printed; DektError if a page is missing or bad."""
    decoder, pages, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            page, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise DektError(
                f"{source}: 第 {exc.lineno} 行第 {exc.colno} 列不是有效的 JSON (not valid JSON): {exc.msg}"
            ) from exc
        pages += page if isinstance(page, list) else [page]  # --slurp prints one list of pages
    if not pages:
        raise DektError(f"{source}: 没有任何页 (no page: the timeline query printed nothing)")
    nodes = []
    for i, page in enumerate(pages, 1):
        try:
            if page.get("errors"):
                raise DektError(
                    f"{source}: 第 {i} 页有错误 (page {i} has errors): "
                    f"{json.dumps(page['errors'], ensure_ascii=False)[:300]}"
                )
            items = page["data"]["repository"]["pullRequest"]["timelineItems"]
            more, got = items["pageInfo"]["hasNextPage"], items["nodes"]
        except (AttributeError, KeyError, TypeError):
            raise DektError(
                f"{source}: 第 {i} 页不是 timelineItems 查询的结果"
                f" (page {i} is not an answer to the timelineItems query)"
            ) from None
        if not isinstance(got, list) or not isinstance(more, bool):
            raise DektError(f"{source}: 第 {i} 页的 nodes 或 pageInfo 不对 (page {i}: bad nodes or pageInfo)")
        if more and i == len(pages):
            raise DektError(
                f"{source}: 最后一页（第 {i} 页）仍说还有下一页，时间线不完整"
                f" (the last page, {i}, says more follow: the timeline is cut short)"
            )
        nodes += got
    return nodes


def complete_record(
    root: Path, pr: dict, base: str, timeline: str | None = None, source: str = "timeline.json"
) -> dict:
    """The record the gate decides on: Git's file list, content ids and (given the pages) the timeline."""
    pr = add_content_ids(root, add_git_files(root, pr, base), base)
    if timeline is not None:
        pr = {**pr, "timelineItems": timeline_nodes(timeline, source)}
    return pr
