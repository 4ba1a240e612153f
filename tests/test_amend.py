"""Archived claims never change silently: edits and deletions fail; corrections and revocations are records."""

from __future__ import annotations

import json
import subprocess
import sys

from dekt.check import check_repository
from helpers import claim_text, git

FOLDER = "records/claims/2014-2015/customs"
ORIGINAL = f"{FOLDER}/2014010001-challenge-cup.yaml"
CUP = dict(
    activity="2014年“挑战杯”大学生课外学术科技作品竞赛", category="challenge_cup", date="2015-04-10",
    registered="2015-05-04", level="school", award="second", role="leader", evidence="获奖证书 CC-1", advisor="hg-li",
)  # fmt: skip


def codes(checked, file=None):
    return sorted((d.code, d.line) for d in checked.diagnostics if file is None or d.file == file)


def items_of(checked, student):
    return {it.entry.file: it for it in checked.ledgers[student].items}


def archived_repo(repo_factory):
    return repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)


def test_editing_or_deleting_an_archived_claim_fails_against_the_base(repo_factory):
    root = archived_repo(repo_factory)
    path = root / ORIGINAL
    path.write_text(claim_text(**{**CUP, "award": "first"}), encoding="utf-8")
    assert ("DK410", 1) in codes(check_repository(root, base="main"), ORIGINAL)
    assert check_repository(root).ok  # without a base nothing is archived: a local draft may change freely
    path.unlink()
    assert ("DK410", 1) in codes(check_repository(root, base="main"), ORIGINAL)
    git(root, "checkout", "-q", "--", ORIGINAL)
    assert codes(check_repository(root, base="main")) == []


def test_revocation_withdraws_the_claim_and_keeps_it_visible(repo_factory):
    root = archived_repo(repo_factory)
    before = check_repository(root).ledgers["2014010001"]
    assert before.total == 1  # school second prize, leader → 1.0
    record = f"{FOLDER}/2014010001-challenge-cup-revoked.yaml"
    (root / record).write_text(
        f"revokes: {ORIGINAL}\nreason: 证书经核实有误，撤销该项学分。\nregistered: 2015-07-01\n", encoding="utf-8"
    )
    checked = check_repository(root, base="main")
    assert checked.ok, checked.diagnostics
    ledger = checked.ledgers["2014010001"]
    item = items_of(checked, "2014010001")[ORIGINAL]
    assert ledger.total == 0
    assert not item.counted and item.amended == "revokes" and item.amended_by == record
    assert "证书经核实有误" in item.excluded_why


def test_correction_replaces_the_claim_with_its_own_credits(repo_factory):
    root = archived_repo(repo_factory)
    record = f"{FOLDER}/2014010001-challenge-cup-corrected.yaml"
    body = claim_text(
        **{**CUP, "award": "first", "registered": "2016-01-10"}
    )  # outside any window: corrections keep the original's
    (root / record).write_text(f"corrects: {ORIGINAL}\nreason: 奖项登记错误，应为一等奖。\n{body}", encoding="utf-8")
    checked = check_repository(root, base="main")
    assert checked.ok, checked.diagnostics  # same activity and evidence as the original: not a duplicate
    items = items_of(checked, "2014010001")
    assert items[ORIGINAL].amended == "corrects" and not items[ORIGINAL].counted
    assert items[record].counted and items[record].credits == 1.5  # school first prize, leader → 1.5
    assert checked.ledgers["2014010001"].total == 1.5


def test_correction_needs_a_reason_and_an_existing_original_in_the_same_department(repo_factory):
    root = archived_repo(repo_factory)
    files = {
        f"{FOLDER}/no-reason.yaml": f"corrects: {ORIGINAL}\n" + claim_text(**CUP),
        f"{FOLDER}/missing.yaml": f"revokes: {FOLDER}/nope.yaml\nreason: 无\nregistered: 2015-07-01\n",
        "records/claims/2014-2015/law/elsewhere.yaml": f"revokes: {ORIGINAL}\nreason: 无\nregistered: 2015-07-01\n",
        f"{FOLDER}/first.yaml": f"revokes: {ORIGINAL}\nreason: 一\nregistered: 2015-07-01\n",
        f"{FOLDER}/second.yaml": f"revokes: {ORIGINAL}\nreason: 二\nregistered: 2015-07-02\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    checked = check_repository(root)
    assert ("DK206", 1) in codes(checked, f"{FOLDER}/no-reason.yaml")
    assert codes(checked, f"{FOLDER}/missing.yaml") == [("DK411", 1)]
    assert codes(checked, "records/claims/2014-2015/law/elsewhere.yaml") == [("DK413", 1)]
    # first.yaml wins (path order); the second record for the same original is refused
    assert codes(checked, f"{FOLDER}/first.yaml") == []
    assert codes(checked, f"{FOLDER}/second.yaml") == [("DK412", 1)]


def test_cli_base_option_reports_annotations_and_bad_refs(repo_factory):
    root = archived_repo(repo_factory)
    (root / ORIGINAL).write_text(claim_text(**{**CUP, "award": "third"}), encoding="utf-8")
    cmd = [sys.executable, "-m", "dekt.cli", "validate", "--base", "main", "--format", "json"]
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert result.returncode == 1
    assert [d["code"] for d in json.loads(result.stdout)] == ["DK410"]
    bad = subprocess.run(cmd[:-2] + ["--base", "no-such-ref"], cwd=root, capture_output=True, text=True)
    assert bad.returncode == 2 and "no-such-ref" in bad.stderr
