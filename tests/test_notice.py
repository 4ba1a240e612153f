"""The notice list is read from each pull request's head commit in a real Git repository."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import claim_text, git

FOLDER = "records/claims/2014-2015/customs"


def open_pr(root, branch, files, number):
    """A branch standing for a pull request: ``files`` committed on top of main; return the PR JSON."""
    git(root, "checkout", "-q", "-b", branch, "main")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"{branch}")
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    return {
        "number": number, "title": f"海关管理系第 {number} 批", "state": "OPEN", "headRefOid": head,
        "baseRefName": "main", "author": {"login": "hg-mishu"}, "createdAt": "2026-10-08T01:00:00Z",
        "files": [{"path": p, "additions": 8, "deletions": 0} for p in files], "changedFiles": len(files),
        "labels": [], "comments": [], "commits": [{"oid": head, "committedDate": "2026-10-08T01:00:00Z"}],
        "reviews": [],
    }  # fmt: skip


def approve(pr, login="hg-chen", at="2026-10-09T02:00:00Z"):
    pr["reviews"].append(
        {"author": {"login": login}, "state": "APPROVED", "submittedAt": at, "commit": {"oid": pr["headRefOid"]}}
    )
    return pr


def run_notice(root, prs, now, fmt="json"):
    (root / "prs.json").write_text(json.dumps(prs), encoding="utf-8")
    cmd = [sys.executable, "-m", "dekt.cli", "notice", "--prs", "prs.json", "--now", now, "--format", fmt]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True)


def test_batches_on_notice_list_masked_students_with_credits(repo_factory):
    root = repo_factory(files={f"{FOLDER}/archived.yaml": claim_text("2014010003")}, init_git=True)
    group = (
        "activity: 2014年国际进口博览会志愿服务\ncategory: volunteering\n"
        "date: 2014-11-05\nregistered: 2014-12-02\nevidence: 签到表 V-1\n"
        "participants:\n  - {student: 2014010001, hours: 16}\n  - {student: 2014010002, hours: 9}\n"
    )
    on_notice = approve(open_pr(root, "batch-7", {f"{FOLDER}/expo.yaml": group}, 7))
    waiting = open_pr(root, "batch-8", {f"{FOLDER}/club.yaml": claim_text("2014010002")}, 8)
    result = run_notice(root, [waiting, on_notice], "2026-10-13T09:00:00+08:00")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [b["pr"] for b in data["batches"]] == [7]  # #8 has no department approval yet
    batch = data["batches"][0]
    assert batch["stage"] == "in_notice" and batch["notice_start"] <= "2026-10-13" <= batch["notice_end"]
    assert batch["object_until"] == batch["notice_end"] and "异议" in batch["how_to_object"]
    rows = {(e["student"], e["name"], e["credits"]) for e in batch["entries"]}
    # 2014-2015 rules: every full 8 hours earn 0.5 → 16 h = 1.0, 9 h = 0.5. Their class (海关管理2014级1班) has three
    # students in the roster, fewer than the five a masked id must fit (roster.NOTICE_K): no digit of the id is shown.
    assert rows == {("**********", "张三", "1.0"), ("**********", "李四", "0.5")}
    assert "2014010001" not in result.stdout and "archived.yaml" not in result.stdout  # masked; only the batch's files


def test_nothing_on_notice_is_said_plainly_and_ended_notices_drop_off(repo_factory):
    root = repo_factory(init_git=True)
    pr = approve(open_pr(root, "batch-9", {f"{FOLDER}/club.yaml": claim_text()}, 9))
    text = run_notice(root, [pr], "2026-12-01T09:00:00+08:00", fmt="text")  # long after the notice ended
    assert text.returncode == 0 and "没有处于公示期" in text.stdout


def test_unknown_head_commit_is_a_clear_error(repo_factory):
    root = repo_factory(init_git=True)
    pr = approve(open_pr(root, "batch-10", {f"{FOLDER}/club.yaml": claim_text()}, 10))
    pr["headRefOid"] = "0" * 40
    pr["reviews"][0]["commit"]["oid"] = "0" * 40
    pr["commits"][0]["oid"] = "0" * 40
    result = run_notice(root, [pr], "2026-10-13T09:00:00+08:00")
    assert result.returncode == 2 and "git fetch" in result.stderr


def test_outside_text_is_masked_and_printable(repo_factory):
    # A secretary's title that names a student in full and carries a terminal escape: the notice must not publish
    # the id (the privacy check would refuse the whole site for it) nor pass the ESC to a terminal or CI log.
    root = repo_factory(files={f"{FOLDER}/archived.yaml": claim_text("2014010003")}, init_git=True)
    pr = approve(
        open_pr(root, "batch-9", {f"{FOLDER}/club.yaml": claim_text("2014010002", activity="2014010001 推荐的社团")}, 9)
    )
    pr["title"] = "表扬 2014010002 同学\x1b[2J 的申报"
    data = json.loads(run_notice(root, [pr], "2026-10-13T09:00:00+08:00").stdout)
    batch = data["batches"][0]
    # Her class has three students (< roster.NOTICE_K = 5): her id is shown as ten asterisks, as in her row.
    assert batch["title"] == "表扬 ********** 同学\x1b[2J 的申报"
    assert batch["entries"][0]["activity"] == "********** 推荐的社团"
    text = run_notice(root, [pr], "2026-10-13T09:00:00+08:00", fmt="text").stdout
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert "2014010002" not in text and "2014010001" not in text
