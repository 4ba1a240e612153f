"""The demo repository shows the whole workflow: merged batches with their review record, one batch on notice,
and a history signed with a throwaway demo key that ``dekt.custody`` verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from dekt.check import check_repository
from dekt.custody import certified_files, split_signature
from dekt.demo_repo import lay_out
from dekt.notice import notice_batches
from dekt.provenance import provenance_index
from dekt.review import Stage, review_state
from helpers import GIT_ENV, git


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """A small generated school (with this repository's rules and CODEOWNERS) to lay the demo out from."""
    root = tmp_path_factory.mktemp("school")
    subprocess.run(
        [sys.executable, "-m", "dekt.cli", "demo-data", "--students", "40", "--seed", "5", str(root)],
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture(scope="module")
def demo(school, tmp_path_factory):
    return lay_out(school, tmp_path_factory.mktemp("demo") / "repo")


def test_every_claim_is_either_archived_with_its_review_record_or_in_the_open_batch(school, demo):
    files = set(check_repository(school).records.files)
    index = provenance_index(demo.root, "main")
    prs = json.loads(demo.prs.read_text(encoding="utf-8"))
    open_files = {f["path"] for f in prs[0]["files"]}
    assert set(index) | open_files == files and not set(index) & open_files
    for p in index.values():
        assert p.pr and p.submitted_by.endswith("-mishu") and p.reviewers and p.approvers == ("jwc-wang",)
        start, end = p.notice.split("..")
        assert start <= end < p.merged_at[:10]  # merged only after the notice ended
    assert check_repository(demo.root).ok


def test_the_open_batch_is_on_notice_at_the_demo_moment(school, demo):
    checked = check_repository(demo.root)
    prs = json.loads(demo.prs.read_text(encoding="utf-8"))
    state = review_state(prs[0], checked.rules, demo.now)
    assert state.stage is Stage.IN_NOTICE
    assert git(demo.root, "rev-parse", f"batch-{prs[0]['number']}").strip() == prs[0]["headRefOid"]
    batches = notice_batches(demo.root, prs, checked.rules, checked.roster, demo.now)
    assert len(batches) == 1 and len(batches[0]["entries"]) >= len(prs[0]["files"])


def _unsigned(root, ref: str) -> list[bytes]:
    """The first-parent history of ``ref`` as messages, authors, committers and dates (what a signature covers,
    without the commit ids that depend on the key)."""
    out = git(root, "log", "--first-parent", "--format=%an%x00%aI%x00%cn%x00%cI%x00%B%x01", ref)
    return out.encode().split(b"\x01")


def test_same_source_gives_the_same_history(school, demo, tmp_path):
    # A fresh throwaway key each time: the files, messages and dates are the same, the key and signatures are not.
    again = lay_out(school, tmp_path / "again")
    batch = "batch-" + str(json.loads(again.prs.read_text())[0]["number"])
    assert batch == "batch-" + str(json.loads(demo.prs.read_text())[0]["number"])
    for ref in ("main", batch):
        assert _unsigned(again.root, ref) == _unsigned(demo.root, ref)
        keys = [git(r, "rev-parse", f"{ref}:rules/allowed_signers").strip() for r in (again.root, demo.root)]
        files = [git(r, "ls-tree", "-r", ref).replace(k, "KEY") for r, k in zip((again.root, demo.root), keys)]
        assert files[0] == files[1]
    assert again.now == demo.now
    assert (again.root / "rules/allowed_signers").read_text() != (demo.root / "rules/allowed_signers").read_text()


def test_the_history_is_signed_with_the_throwaway_demo_key(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("DEKT_CUSTODY_CACHE", str(tmp_path / "cache"))
    pub = demo.key.with_suffix(".pub").read_text().split()
    assert demo.key.parent == demo.root / ".dekt-demo" and "THROWAWAY-DEMO-KEY" in pub[2]
    assert (demo.key.stat().st_mode & 0o077) == 0  # ssh-keygen keeps the private key to its owner
    assert git(demo.root, "check-ignore", ".dekt-demo/demo-signing-key").strip()  # never committed
    root_commit = git(demo.root, "rev-list", "--max-parents=0", "main").strip()
    assert "rules/allowed_signers" in git(demo.root, "show", "--name-only", "--format=", root_commit).split()
    listed = [
        line.split()
        for line in (demo.root / "rules/allowed_signers").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert [entry[1:3] for entry in listed] == [pub[:2]]  # the demo key alone
    merges = git(demo.root, "rev-list", "--first-parent", "main").split()
    custody = certified_files(demo.root)
    # Signed mode; every first-parent commit after the root (one signed merge per archived batch) verified.
    assert custody.signed and custody.root_commit == root_commit and custody.commits == len(merges) - 1
    assert not custody.uncertified and not custody.deleted and not custody.elsewhere
    # Git agrees on every first-parent commit, the root included (the secretaries' branch commits stay unsigned).
    shown = git(
        demo.root,
        "-c",
        "gpg.ssh.allowedSignersFile=rules/allowed_signers",
        "log",
        "--first-parent",
        "--format=%H %G?",
        "main",
    )
    assert {line.split()[1] for line in shown.splitlines()} == {"G"} and len(shown.splitlines()) == len(merges)
    second_parents = git(demo.root, "rev-list", "--no-walk", *[f"{m}^2" for m in merges[:-1]]).split()
    raw = {
        c: subprocess.run(["git", "cat-file", "commit", c], cwd=demo.root, capture_output=True, check=True).stdout
        for c in second_parents
    }
    assert all(split_signature(r)[1] is None for r in raw.values())
    assert (
        "DK720"
        not in subprocess.run(
            [sys.executable, "-m", "dekt.cli", "validate"], cwd=demo.root, capture_output=True, text=True
        ).stdout
    )


def _dekt(root, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        [sys.executable, "-m", "dekt.cli", *args], cwd=root, capture_output=True, text=True, env=env, check=False
    )


def _ledger(root, student: str) -> tuple[dict, Decimal]:
    data = json.loads(_dekt(root, "ledger", student, "--format", "json").stdout)
    return {it["file"]: it for it in data["items"]}, Decimal(data["total"])


def test_tried_as_a_new_user_an_unsigned_claim_on_main_fails_until_certified(school, tmp_path, monkeypatch):
    """The issue's walk-through: in the demo repository an unsigned commit of a new claim on main fails validate,
    naming the commit and the file, and the student's ledger does not count it; academic affairs then certifies
    it with a signed merge whose trailer says ``Certifies: <commit>`` (or reverts it with a signed revert)."""
    monkeypatch.setenv("DEKT_CUSTODY_CACHE", str(tmp_path / "cache"))
    demo = lay_out(school, tmp_path / "repo")
    root, key = demo.root, demo.key
    assert _dekt(root, "validate").returncode == 0
    student = "2014010001"  # customs, enrolled 2014: 2015-2016 is in their study period
    before, total_before = _ledger(root, student)
    claim = "records/claims/2015-2016/customs/2014010001-open-day.yaml"
    # Volunteering counts every full 8 hours as 0.5 credits, without a cap (rules/credits/2014-2015.yaml):
    # 16 hours → 2 units → 1.0 credits. Registered 2015-12-05, inside the 2015-2016-1 quality window (12-01…03-15).
    (root / claim).write_text(
        "activity: 2015年口岸开放日志愿者（新用户试验）\ncategory: volunteering\ndate: 2015-10-20\n"
        f"registered: 2015-12-05\nevidence: 签到表 NEW-USER-1\nstudent: {student}\nhours: 16\n",
        encoding="utf-8",
    )
    git(root, "add", claim)
    git(root, "commit", "-q", "-m", "直接提交一条申报")
    bad = git(root, "rev-parse", "HEAD").strip()
    r = _dekt(root, "validate", "--format", "json")
    assert r.returncode == 1
    found = [d for d in json.loads(r.stdout) if d["code"] == "DK720"]
    assert [d["file"] for d in found] == [claim] and bad[:12] in found[0]["message"] and "未签名" in found[0]["message"]
    items, total = _ledger(root, student)
    assert items[claim]["custody"] == "uncertified" and not items[claim]["counted"] and total == total_before
    # Certify after the fact: a reviewed batch (here a note) merged with a signed merge whose trailers certify it.
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
    git(root, "checkout", "-q", "-b", "certify", "main")
    (root / "NOTE.md").write_text("认定直接提交的申报\n", encoding="utf-8")
    git(root, "add", "NOTE.md")
    git(root, "commit", "-q", "-m", "certify: 说明")
    git(root, "checkout", "-q", "main")
    git(
        root,
        *sign,
        "merge",
        "--no-ff",
        "-S",
        "-q",
        "-m",
        f"事后认定 (#900)\n\nDekt-PR: 900\nCertifies: {bad}\n",
        "certify",
    )
    assert _dekt(root, "validate").returncode == 0
    items, total = _ledger(root, student)
    assert items[claim]["counted"] and items[claim]["custody"] is None and total == total_before + Decimal("1.0")
    # The other way back: an unsigned commit reverted by a signed revert.
    (root / claim.replace("open-day", "open-day-2")).write_text(
        (root / claim)
        .read_text(encoding="utf-8")
        .replace("NEW-USER-1", "NEW-USER-2")
        .replace("（新用户试验）", "（再试）"),
        encoding="utf-8",
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "又一次直接提交")
    assert _dekt(root, "validate").returncode == 1
    git(root, *sign, "revert", "-S", "--no-edit", "HEAD")
    assert _dekt(root, "validate").returncode == 0
    assert _ledger(root, student)[1] == total_before + Decimal("1.0")


def test_demo_command_builds_with_certified_items_and_the_notice(school):
    result = subprocess.run(
        [sys.executable, "-m", "dekt.cli", "demo", "--repo", str(school), "--out", "_out"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "公示中 on notice: 1" in result.stdout
    assert "签名归档 signed archive" in result.stdout and "THROWAWAY demo key" in result.stdout
    assert "UNSIGNED MODE" not in result.stderr
    ledgers = json.loads((school / "_out" / "private" / "ledgers.json").read_text(encoding="utf-8"))
    certified = [it["certified"] for l in ledgers.values() for it in l["items"] if it["certified"]]
    assert certified and all(c["pr"] and c["approvers"] == ["jwc-wang"] for c in certified)
