"""The merge step writes the review record as trailers, and provenance reads the same record back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dekt.provenance import provenance_index
from helpers import claim_text, git

SCENARIOS = Path(__file__).parent / "review" / "scenarios"


def merge_message(pr_file: Path, now: str, cwd: Path):
    cmd = [sys.executable, "-m", "dekt.cli", "merge-message", "--pr", str(pr_file), "--now", now]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def test_finally_approved_batch_gets_trailers_that_provenance_reads_back(repo_factory):
    root = repo_factory(init_git=True)
    scenario = SCENARIOS / "finally-approved"
    now = json.loads((scenario / "meta.json").read_text(encoding="utf-8"))["now"]
    result = merge_message(scenario / "pr.json", now, root)
    assert result.returncode == 0, result.stderr
    message = result.stdout
    assert message.splitlines()[0].endswith("(#55)")
    assert {"Dekt-PR: 55", "Submitted-by: hg-mishu", "Reviewed-by: hg-chen", "Notice: 2026-09-30..2026-10-12",
            "Approved-by: jwc-wang"} <= set(message.splitlines())  # fmt: skip
    # Merge a real branch with exactly that message: the provenance index must tell the same story.
    path = "records/claims/2014-2015/customs/a.yaml"
    git(root, "checkout", "-q", "-b", "batch")
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(claim_text(), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "申报")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "--no-ff", "-q", "-m", message, "batch")
    p = provenance_index(root)[path]
    assert (p.pr, p.submitted_by, p.reviewers, p.approvers, p.notice) == (
        55,
        "hg-mishu",
        ("hg-chen",),
        ("jwc-wang",),
        "2026-09-30..2026-10-12",
    )


def test_a_batch_still_on_notice_gets_no_merge_message(repo_factory):
    root = repo_factory()
    scenario = SCENARIOS / "finally-approved"
    result = merge_message(scenario / "pr.json", "2026-10-09T10:00:00+08:00", root)  # during the notice
    assert result.returncode == 1 and result.stdout == ""
    assert "公示" in result.stderr
