"""Content ids from real Git history: a rebase keeps approvals and the notice clock, a real change does not."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers import claim_text, git

from dekt.review import Stage, review_state
from dekt.review.adapter import add_content_ids, content_id
from dekt.rules import load_rules

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
    now = datetime(2026, 10, 14, 2, 0, tzinfo=timezone.utc)
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
