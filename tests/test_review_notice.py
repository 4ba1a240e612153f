"""Corrections and revocations on the public notice list: whose credit changes, from what to what, and why.

A batch holding only a revocation used to be on notice with 0 entries: the public never saw what it withdraws.
Real Git: an archived claim merged on main, then a pull request that corrects or revokes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dekt.notice import notice_batches, notice_text
from dekt.records import ROSTER_FILE
from dekt.roster import load_roster
from dekt.rules import load_rules
from helpers import claim_text, git

ARCHIVED = "records/claims/2014-2015/customs/club.yaml"
NOW = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # inside the notice of a 09-29 approval (09-30..10-12)


def batch(root, files):
    """Merge the archived claim, then open a pull request with ``files``; decide its notice list."""
    (root / ARCHIVED).parent.mkdir(parents=True, exist_ok=True)
    (root / ARCHIVED).write_text(claim_text("2014010001"), encoding="utf-8")  # a club leader: 1.0 x 1.0 = 1.0 credit
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "archived batch")
    git(root, "switch", "-q", "-c", "amend")
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "amend")
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "switch", "-q", "main")
    pr = {
        "number": 31, "title": "海关管理系 更正与撤销", "state": "OPEN", "headRefOid": head, "baseRefName": "main",
        "author": {"login": "hg-mishu"}, "createdAt": "2026-09-28T01:00:00Z", "changedFiles": len(files),
        "files": [{"path": p} for p in files], "labels": [], "comments": [], "timelineItems": [],
        "commits": [{"oid": head, "authors": [{"login": "hg-mishu"}]}],
        "reviews": [{"author": {"login": "hg-chen"}, "state": "APPROVED", "submittedAt": "2026-09-29T02:10:00Z",
                     "commit": {"oid": head}}],
    }  # fmt: skip
    rules, _ = load_rules(root)
    roster, _ = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())
    return notice_batches(root, [pr], rules, roster, NOW)


def test_a_batch_with_only_a_revocation_lists_whose_credit_goes(repo_factory):
    root = repo_factory(init_git=True)
    revocation = f"revokes: {ARCHIVED}\nreason: 证明材料经核实有误。\nregistered: 2015-06-10\n"
    [b] = batch(root, {"records/claims/2014-2015/customs/revoke-club.yaml": revocation})
    assert len(b["entries"]) == 1  # not 0: the public sees the revocation
    [row] = b["entries"]
    # the archived leader's 1.0 credit goes to 0.0 (shown masked), with the reason
    assert (row["amends"], row["was"], row["credits"], "*" in row["student"]) == ("revokes", "1.0", "0.0", True)
    assert "撤销" in row["rule"] and "证明材料经核实有误" in row["rule"] and ARCHIVED in row["rule"]
    assert "原 1.0 学分 → 0.0 学分" in notice_text([b])


def test_a_correction_shows_from_what_to_what(repo_factory):
    root = repo_factory(init_git=True)
    fix = f"corrects: {ARCHIVED}\nreason: 应为成员。\n" + claim_text("2014010001", role="member", evidence="证明 更正")
    [b] = batch(root, {"records/claims/2014-2015/customs/club-fix.yaml": fix})
    [row] = b["entries"]
    # leader (1.0 x 1.0) corrected to member (1.0 x 0.5): from 1.0 to 0.5
    assert (row["amends"], row["was"], row["credits"]) == ("corrects", "1.0", "0.5")
    assert "原 1.0 学分 → 0.5 学分" in row["rule"] and "应为成员" in row["rule"]
