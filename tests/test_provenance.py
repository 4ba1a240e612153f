"""Provenance from Git: one pass over main's history gives each claim's pull request, merger and reviewers."""

from __future__ import annotations

import subprocess
import sys

from dekt.provenance import merge_message, provenance_index, trailers
from helpers import claim_text, git

FOLDER = "records/claims/2014-2015/customs"


def merge_branch(root, branch, files, message, *, merger="jwc-wang"):
    """Commit ``files`` on a new branch as the secretary, then merge it into main with ``message``."""
    git(root, "checkout", "-q", "-b", branch, "main")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "-c", "user.name=hg-mishu", "commit", "-q", "-m", f"{branch}: 提交申报")
    git(root, "checkout", "-q", "main")
    env_merger = ["-c", f"user.name={merger}", "-c", "user.email=x@example.invalid"]
    subprocess.run(
        ["git", *env_merger, "merge", "--no-ff", "-q", "-m", message, branch],
        cwd=root, check=True, capture_output=True,
        env={"GIT_AUTHOR_NAME": merger, "GIT_AUTHOR_EMAIL": "x@example.invalid", "GIT_COMMITTER_NAME": merger,
             "GIT_COMMITTER_EMAIL": "x@example.invalid", "GIT_COMMITTER_DATE": "2015-06-01T09:00:00+08:00",
             "GIT_AUTHOR_DATE": "2015-06-01T09:00:00+08:00", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return git(root, "rev-parse", "HEAD").strip()


def test_trailers_are_read_from_the_last_paragraph_only():
    msg = (
        "Title (#5)\n\nBody mentions Reviewed-by: nobody in prose.\n\n"
        "Dekt-PR: 5\nReviewed-by: hg-chen\nReviewed-by: hg-zhou\n"
    )
    assert trailers(msg) == {"dekt-pr": ["5"], "reviewed-by": ["hg-chen", "hg-zhou"]}
    assert trailers("Just a subject") == {}


def test_index_names_pr_merger_reviewers_and_approvers(repo_factory):
    root = repo_factory(init_git=True)
    first = f"{FOLDER}/a.yaml"
    second = f"{FOLDER}/b.yaml"
    message = merge_message(
        "海关管理系 2014-2015 第一批", 12, "hg-mishu", ["hg-chen"], ["jwc-wang"], "2015-05-18..2015-05-22"
    )
    sha = merge_branch(root, "batch-12", {first: claim_text()}, message)
    sha2 = merge_branch(
        root,
        "batch-13",
        {second: claim_text("2014010002")},
        "Merge pull request #13 from school/batch-13\n\n第二批",
        merger="jwc-liu",
    )
    index = provenance_index(root)
    assert set(index) == {first, second}
    p = index[first]
    assert (p.commit, p.pr, p.merged_by, p.submitted_by) == (sha, 12, "jwc-wang", "hg-mishu")
    assert (p.reviewers, p.approvers, p.notice) == (("hg-chen",), ("jwc-wang",), "2015-05-18..2015-05-22")
    assert p.merged_at.startswith("2015-06-01T09:00:00")
    q = index[second]
    assert (q.commit, q.pr, q.merged_by, q.reviewers) == (sha2, 13, "jwc-liu", ())


def test_later_edits_on_main_are_listed_and_files_off_main_are_absent(repo_factory):
    root = repo_factory(init_git=True)
    path = f"{FOLDER}/a.yaml"
    merge_branch(
        root, "batch-1", {path: claim_text()}, merge_message("第一批", 1, "hg-mishu", ["hg-chen"], ["jwc-wang"], None)
    )
    (root / path).write_text(claim_text(role="member"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "direct edit")
    edit = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "-b", "open-pr")
    (root / f"{FOLDER}/pending.yaml").write_text(claim_text("2014010003"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "not merged yet")
    index = provenance_index(root, "main")
    assert index[path].pr == 1 and index[path].later_changes == (edit,)
    assert f"{FOLDER}/pending.yaml" not in index


def test_command_prints_json_and_fails_cleanly_outside_git(repo_factory):
    root = repo_factory(init_git=True)
    merge_branch(
        root,
        "b",
        {f"{FOLDER}/a.yaml": claim_text()},
        merge_message("批", 3, "hg-mishu", ["hg-chen"], ["jwc-wang"], None),
    )
    out = subprocess.run(
        [sys.executable, "-m", "dekt.cli", "provenance", "--format", "json"], cwd=root, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert '"pr": 3' in out.stdout
    plain = repo_factory()
    bad = subprocess.run([sys.executable, "-m", "dekt.cli", "provenance"], cwd=plain, capture_output=True, text=True)
    assert bad.returncode == 2 and "Git" in bad.stderr
