"""The demo repository shows the whole workflow: merged batches with their review record, one batch on notice."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import git

from dekt.check import check_repository
from dekt.demo_repo import lay_out
from dekt.notice import notice_batches
from dekt.provenance import provenance_index
from dekt.review import Stage, review_state


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """A small generated school (with this repository's rules and CODEOWNERS) to lay the demo out from."""
    root = tmp_path_factory.mktemp("school")
    subprocess.run([sys.executable, "-m", "dekt.cli", "demo-data", "--students", "40", "--seed", "5", str(root)], check=True, capture_output=True)
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


def test_same_source_gives_the_same_history(school, demo, tmp_path):
    again = lay_out(school, tmp_path / "again")
    assert git(again.root, "rev-parse", "main", "batch-" + str(json.loads(again.prs.read_text())[0]["number"])) == git(
        demo.root, "rev-parse", "main", "batch-" + str(json.loads(demo.prs.read_text())[0]["number"])
    )
    assert again.now == demo.now


def test_demo_command_builds_with_certified_items_and_the_notice(school):
    result = subprocess.run([sys.executable, "-m", "dekt.cli", "demo", "--repo", str(school), "--out", "_out"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "公示中 on notice: 1" in result.stdout
    ledgers = json.loads((school / "_out" / "private" / "ledgers.json").read_text(encoding="utf-8"))
    certified = [it["certified"] for l in ledgers.values() for it in l["items"] if it["certified"]]
    assert certified and all(c["pr"] and c["approvers"] == ["jwc-wang"] for c in certified)
