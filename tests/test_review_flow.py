"""The whole review flow across real clones of one origin: submit, validate, approve, notice, merge, provenance."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import claim_text, git

FOLDER = "records/claims/2014-2015/law"
APPROVED_AT = "2026-10-09T02:00:00Z"  # a Friday, 10:00 in Shanghai


def dekt(cwd, *args):
    return subprocess.run([sys.executable, "-m", "dekt.cli", *args], cwd=cwd, capture_output=True, text=True)


def forge_record(clone, number, head, *, final_at=None):
    """What `gh pr view --json …` would report for the batch: the department approved; maybe academic affairs too."""
    reviews = [
        {"author": {"login": "fl-sun"}, "state": "APPROVED", "submittedAt": APPROVED_AT, "commit": {"oid": head}}
    ]
    if final_at:
        reviews.append(
            {"author": {"login": "jwc-liu"}, "state": "APPROVED", "submittedAt": final_at, "commit": {"oid": head}}
        )
    return {
        "number": number, "title": "法律系 2014-2015 第一学期 第二课堂申报", "state": "OPEN", "headRefOid": head,
        "baseRefName": "main", "author": {"login": "fl-mishu"}, "createdAt": "2026-10-08T01:00:00Z",
        "files": [{"path": p} for p in git(clone, "diff", "--name-only", "origin/main", head).split()],
        "changedFiles": 2, "labels": [], "comments": [], "reviews": reviews, "timelineItems": [],
        "commits": [{"oid": head, "committedDate": "2026-10-08T01:00:00Z"}],
    }  # fmt: skip


def test_a_batch_goes_from_a_secretary_clone_to_the_archive(repo_factory, tmp_path):
    seed = repo_factory(init_git=True)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    secretary, ci = tmp_path / "secretary", tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(secretary))
    git(tmp_path, "clone", "-q", str(origin), str(ci))

    # The secretary writes a batch on a branch, checks it, and pushes it (the pull request).
    git(secretary, "switch", "-q", "-c", "law-batch")
    (secretary / FOLDER).mkdir(parents=True)
    (secretary / FOLDER / "club.yaml").write_text(claim_text("2014020001"), encoding="utf-8")
    (secretary / FOLDER / "club-2.yaml").write_text(claim_text("2013020001", evidence="证明 2"), encoding="utf-8")
    assert dekt(secretary, "validate").returncode == 0
    git(secretary, "add", "-A")
    git(secretary, "commit", "-q", "-m", "法律系第一批")
    git(secretary, "push", "-q", "origin", "law-batch")
    head = git(secretary, "rev-parse", "HEAD").strip()

    # CI fetches the pull request's head, validates it against the archive, and lists it on notice.
    git(ci, "fetch", "-q", "origin", "law-batch")
    git(ci, "checkout", "-q", head)
    checked = dekt(ci, "validate", "--base", "origin/main", "--format", "github", "--summary", "summary.md")
    assert checked.returncode == 0 and "没有发现问题" in (ci / "summary.md").read_text(encoding="utf-8")
    git(ci, "checkout", "-q", "main")
    (ci / "prs.json").write_text(json.dumps([forge_record(ci, 21, head)]), encoding="utf-8")
    notice = dekt(ci, "notice", "--prs", "prs.json", "--now", "2026-10-13T09:00:00+08:00", "--format", "json")
    assert notice.returncode == 0, notice.stderr
    batch = json.loads(notice.stdout)["batches"][0]
    # both students listed, neither id in full (how much of an id shows depends on the class size: dekt.roster)
    ids = [e["student"] for e in batch["entries"]]
    assert batch["pr"] == 21 and len(ids) == 2 and all("*" in i and i not in ("2014020001", "2013020001") for i in ids)

    # Academic affairs approves after the notice; the gate passes; the merge carries the review record.
    pr = forge_record(ci, 21, head, final_at="2026-10-20T03:00:00Z")
    (ci / "pr.json").write_text(json.dumps(pr), encoding="utf-8")
    assert dekt(ci, "gate", "--pr", "pr.json", "--now", "2026-10-20T11:30:00+08:00").returncode == 0
    message = dekt(ci, "merge-message", "--pr", "pr.json", "--now", "2026-10-20T11:30:00+08:00").stdout
    git(ci, "merge", "--no-ff", "-q", "-m", message, head)
    git(ci, "push", "-q", "origin", "main")

    # Anyone's fresh clone reads the provenance back; the archive now refuses edits of those claims.
    reader = tmp_path / "reader"
    git(tmp_path, "clone", "-q", str(origin), str(reader))
    prov = json.loads(dekt(reader, "provenance", "--format", "json").stdout)
    assert {(p["file"].rsplit("/", 1)[1], p["pr"], tuple(p["reviewers"]), tuple(p["approvers"])) for p in prov} == {
        ("club.yaml", 21, ("fl-sun",), ("jwc-liu",)),
        ("club-2.yaml", 21, ("fl-sun",), ("jwc-liu",)),
    }
    (reader / FOLDER / "club.yaml").write_text(claim_text("2014020001", role="member"), encoding="utf-8")
    edited = dekt(reader, "validate", "--base", "origin/main", "--format", "json")
    assert edited.returncode == 1 and [d["code"] for d in json.loads(edited.stdout)] == ["DK410"]
