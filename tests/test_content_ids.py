"""Content ids from real Git history: a rebase keeps approvals and the notice clock, a real change does not."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from dekt.diagnostics import DektError
from dekt.review import Stage, review_state
from dekt.review.adapter import add_content_ids, changed_files, complete_record, content_id, timeline_nodes
from dekt.rules import load_rules
from helpers import claim_text, git

CLAIM = "records/claims/2014-2015/customs/club.yaml"


def head(root):
    return git(root, "rev-parse", "HEAD").strip()


def pr_for(oid_reviewed, oid_head):
    return {
        "number": 4, "state": "OPEN", "author": {"login": "hg-mishu"}, "createdAt": "2026-10-12T01:00:00Z",
        "headRefOid": oid_head, "files": [{"path": CLAIM}], "changedFiles": 1, "labels": [], "comments": [],
        "commits": [{"oid": oid_head, "committedDate": "2026-10-13T01:00:00Z"}],
        "reviews": [{"author": {"login": "hg-chen"}, "state": "APPROVED", "submittedAt": "2026-10-12T02:00:00Z",
                     "commit": {"oid": oid_reviewed}}],
    }  # fmt: skip


def test_rebase_keeps_the_id_and_the_approval_a_change_does_not(repo_factory):
    root = repo_factory(init_git=True)
    git(root, "checkout", "-q", "-b", "batch")
    (root / CLAIM).parent.mkdir(parents=True, exist_ok=True)
    (root / CLAIM).write_text(claim_text(), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "batch")
    approved = head(root)
    # main moves on elsewhere; the batch is rebased onto it without changing its own files
    git(root, "checkout", "-q", "main")
    (root / "records/claims/2014-2015/law").mkdir(parents=True)
    (root / "records/claims/2014-2015/law/other.yaml").write_text(claim_text("2014020001"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "other batch merged")
    git(root, "checkout", "-q", "batch")
    git(root, "rebase", "-q", "main")
    rebased = head(root)
    assert rebased != approved
    assert content_id(root, rebased, "main") == content_id(root, approved, "main") is not None
    # a later push that changes the claim gets a different id
    (root / CLAIM).write_text(claim_text(role="member"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "fix role")
    changed = head(root)
    assert content_id(root, changed, "main") != content_id(root, approved, "main")

    rules, _ = load_rules(root)
    now = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)
    kept = review_state(add_content_ids(root, pr_for(approved, rebased), "main"), rules, now)
    assert kept.stage is Stage.IN_NOTICE
    stale = review_state(add_content_ids(root, pr_for(approved, changed), "main"), rules, now)
    assert stale.stage is Stage.SUBMITTED
    without = review_state(pr_for(approved, rebased), rules, now)  # no ids: only head approvals count
    assert without.stage is Stage.SUBMITTED


def test_commits_the_clone_lacks_get_no_id(repo_factory):
    root = repo_factory(init_git=True)
    pr = add_content_ids(root, pr_for("1" * 40, head(root)), "main")
    assert set(pr["contentIds"]) == {head(root)}


# ---------------------------------------------------------------- what the change does, against its merge base


def commit_all(root, message):
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return head(root)


def test_a_rebase_that_keeps_the_blobs_but_now_reverts_merged_work_gets_another_id(repo_factory):
    """The head holds exactly the approved commit's blobs, yet what it changes differs: it undoes work merged since."""
    root = repo_factory(init_git=True)
    calendar = root / "rules" / "calendar.yaml"
    original = calendar.read_text(encoding="utf-8")
    git(root, "checkout", "-q", "-b", "batch")
    calendar.write_text(original + "# 批次的修改 the batch's change\n", encoding="utf-8")
    approved = commit_all(root, "batch: calendar note")
    # meanwhile main merges another change to the same file
    git(root, "checkout", "-q", "main")
    calendar.write_text(original + "# 已合并的修改 merged work\n", encoding="utf-8")
    commit_all(root, "merged: another calendar note")
    # the branch is "rebased" onto main by taking its own version of the file whole: the same blob as approved
    git(root, "checkout", "-q", "-b", "rebased", "main")
    calendar.write_text(original + "# 批次的修改 the batch's change\n", encoding="utf-8")
    rebased = commit_all(root, "batch: calendar note (rebased)")

    def blob(oid):
        return git(root, "rev-parse", f"{oid}:rules/calendar.yaml").strip()

    assert blob(rebased) == blob(approved)  # the premise: same blobs
    # against its merge base the approved commit changes original -> note; the rebased one merged-work -> note
    assert content_id(root, rebased, "main") != content_id(root, approved, "main")


def test_a_rebase_that_deletes_a_file_merged_meanwhile_gets_another_id(repo_factory):
    root = repo_factory(init_git=True)
    git(root, "checkout", "-q", "-b", "batch")
    write_claim(root, CLAIM)
    approved = commit_all(root, "batch")
    git(root, "checkout", "-q", "main")
    other = "records/claims/2014-2015/law/other.yaml"
    write_claim(root, other, "2014020001")
    commit_all(root, "other batch merged")
    git(root, "checkout", "-q", "batch")
    git(root, "rebase", "-q", "main")
    git(root, "rm", "-q", other)
    git(root, "commit", "-q", "--amend", "--no-edit")
    assert content_id(root, head(root), "main") != content_id(root, approved, "main")


def write_claim(root, rel, student="2014010001", **fields):
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(claim_text(student, **fields), encoding="utf-8")


def test_more_than_100_changed_files_pass_the_gate_when_reviewed(repo_factory):
    """gh lists 100 of 120 files; the adapter takes Git's list, so a reviewed batch is routed and passes."""
    root = repo_factory(init_git=True)
    git(root, "checkout", "-q", "-b", "big-batch")
    paths = [f"records/claims/2014-2015/customs/club-{i:03d}.yaml" for i in range(120)]
    for i, rel in enumerate(paths):
        write_claim(root, rel, evidence=f"证明 {i}")
    oid = commit_all(root, "120 claim files")
    approvals = [("hg-chen", "2026-09-29T02:10:00Z"), ("jwc-wang", "2026-10-13T02:00:00Z")]  # notice 09-30..10-12
    pr = {
        **pr_for(oid, oid),
        "files": [{"path": p, "additions": 7, "deletions": 0} for p in paths[:100]],  # gh's cap (cli/cli#5368)
        "changedFiles": 120,
        "timelineItems": [],
        "reviews": [
            {"author": {"login": who}, "state": "APPROVED", "submittedAt": at, "commit": {"oid": oid}}
            for who, at in approvals
        ],
    }
    rules, _ = load_rules(root)
    now = datetime(2026, 10, 13, 3, 0, tzinfo=UTC)
    blocked = review_state(pr, rules, now)
    assert not blocked.mergeable and "files-incomplete" in {r.code for r in blocked.reasons}
    complete = complete_record(root, pr, "main")
    assert complete["changedFiles"] == 120 and [f["path"] for f in complete["files"]] == sorted(paths)
    state = review_state(complete, rules, now)
    assert state.mergeable and state.departments[0].files == 120


def test_a_renamed_claim_file_lists_both_folders(repo_factory):
    root = repo_factory(init_git=True)
    write_claim(root, CLAIM)
    commit_all(root, "archived")
    git(root, "checkout", "-q", "-b", "move")
    target = "records/claims/2014-2015/law/club.yaml"
    (root / target).parent.mkdir(parents=True, exist_ok=True)
    git(root, "mv", CLAIM, target)
    moved = commit_all(root, "move a claim to another department")
    assert changed_files(root, moved, "main") == [CLAIM, target]


def test_the_clone_must_have_the_head_to_list_files(repo_factory):
    root = repo_factory(init_git=True)
    with pytest.raises(DektError, match="git fetch"):
        complete_record(root, pr_for("1" * 40, "2" * 40), "main")


# ---------------------------------------------------------------- the timeline pages gh prints


def page(nodes, more, cursor="Y3Vyc29yOnYyOpK5MjAyNi0xMC0wOFQxNDowNTowMCswODowMM4AAAAB"):
    return {
        "data": {
            "repository": {
                "pullRequest": {
                    "timelineItems": {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}
                }
            }
        }
    }


LABELED = {
    "__typename": "LabeledEvent",
    "createdAt": "2026-10-08T06:05:00Z",
    "actor": {"login": "hg-zhou"},
    "label": {"name": "异议"},
}
UNLABELED = {
    **LABELED,
    "__typename": "UnlabeledEvent",
    "createdAt": "2026-10-08T09:40:00Z",
    "actor": {"login": "hg-mishu"},
}


def test_timeline_pages_as_gh_paginate_prints_them_one_after_another():
    # gh api graphql --paginate writes each page's JSON object in turn (pkg/cmd/api: "Each page is a separate JSON")
    text = json.dumps(page([LABELED], True), ensure_ascii=False, indent=2) + "\n" + json.dumps(page([UNLABELED], False))
    assert timeline_nodes(text) == [LABELED, UNLABELED]
    assert timeline_nodes(json.dumps([page([LABELED], True), page([UNLABELED], False)])) == [
        LABELED,
        UNLABELED,
    ]  # --slurp
    assert timeline_nodes(json.dumps(page([], False, cursor=None))) == []


@pytest.mark.parametrize(
    "text, says",
    [
        (json.dumps(page([LABELED], True)), "时间线不完整"),  # the last page says more follow: cut short
        ('{"errors": [{"message": "Could not resolve to a PullRequest"}], "data": null}', "有错误"),
        ('{"data": {"repository": null}}', "不是 timelineItems 查询的结果"),
        ("", "没有任何页"),
        ('{"data": ', "不是有效的 JSON"),
    ],
)
def test_a_timeline_that_is_cut_short_or_wrong_is_refused(text, says):
    with pytest.raises(DektError, match=says):
        timeline_nodes(text, "timeline.json")


def test_content_ids_command_completes_the_record(repo_factory, tmp_path):
    root = repo_factory(init_git=True)
    git(root, "checkout", "-q", "-b", "batch")
    write_claim(root, CLAIM)
    oid = commit_all(root, "batch")
    (tmp_path / "pr.json").write_text(json.dumps({**pr_for(oid, oid), "files": []}), encoding="utf-8")
    (tmp_path / "timeline.json").write_text(
        json.dumps(page([LABELED], True)) + json.dumps(page([], False)), encoding="utf-8"
    )
    run = [
        sys.executable,
        "-m",
        "dekt.cli",
        "content-ids",
        "--repo",
        str(root),
        "--pr",
        str(tmp_path / "pr.json"),
        "--base",
        "main",
    ]
    done = subprocess.run(
        [*run, "--timeline", str(tmp_path / "timeline.json")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["files"] == [{"path": CLAIM}] and record["timelineItems"] == [LABELED] and oid in record["contentIds"]
    (tmp_path / "timeline.json").write_text(json.dumps(page([LABELED], True)), encoding="utf-8")
    cut = subprocess.run(
        [*run, "--timeline", str(tmp_path / "timeline.json")], capture_output=True, text=True, check=False
    )
    assert cut.returncode == 2 and "时间线不完整" in cut.stderr and cut.stdout == ""
