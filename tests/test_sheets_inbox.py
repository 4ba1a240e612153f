"""The inbox workflow's script on real Git repositories (a bare origin, the secretary's clone, the runner's checkout of
the default branch) with a fake ``gh`` that records what it is asked: an upload becomes commits, a status and a comment;
a bad upload becomes a comment and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import helpers
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".github" / "scripts" / "inbox.sh"

# The fake gh: every call is one JSON line (arguments, and the body file's text for a comment) in $GH_LOG.
FAKE_GH = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
body = None
if "--body-file" in args:
    body = open(args[args.index("--body-file") + 1], encoding="utf-8").read()
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"args": args, "body": body}, ensure_ascii=False) + "\\n")
"""


def _sheet(path: Path, rows: list[list]) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["学号", "姓名", "活动名称", "活动日期", "时长（小时）", "登记日期"])
    for r in rows:
        ws.append(r)
    book.save(path)


def _setup(tmp_path: Path, upload: dict[str, bytes]):
    """origin (bare) ← main with the project's rules; a branch with ``upload`` added; the runner's clone of main."""
    seed = helpers.make_repo(tmp_path, init_git=True, name="seed")
    origin = tmp_path / "origin.git"
    helpers.git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    secretary = tmp_path / "secretary"
    helpers.git(tmp_path, "clone", "-q", str(origin), str(secretary))
    helpers.git(secretary, "switch", "-q", "-c", "customs-upload")
    helpers.write_files(secretary, upload)
    helpers.git(secretary, "add", "-A")
    helpers.git(secretary, "commit", "-q", "-m", "Add files via upload")
    helpers.git(secretary, "push", "-q", "origin", "customs-upload")
    runner = tmp_path / "runner"
    helpers.git(tmp_path, "clone", "-q", str(origin), str(runner))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(FAKE_GH, encoding="utf-8")
    (fake / "gh").chmod(0o755)
    env = {
        **os.environ, **helpers.GIT_ENV,
        "PATH": f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GH_LOG": str(tmp_path / "gh.log"), "PR": "7", "GITHUB_REPOSITORY": "school/dekt",
        "BASE_SHA": helpers.git(secretary, "rev-parse", "main").strip(),
        "HEAD_SHA": helpers.git(secretary, "rev-parse", "HEAD").strip(),
        "HEAD_REF": "customs-upload", "PUSH_URL": str(origin),
    }  # fmt: skip
    return origin, runner, env


def _run(runner: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], cwd=runner, env=env, capture_output=True, text=True, check=False)


def _calls(env: dict) -> list[dict]:
    log = Path(env["GH_LOG"])
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def test_an_upload_becomes_claim_commits_a_status_and_a_comment(tmp_path):
    sheet = tmp_path / "签到表.xlsx"
    # 2014-10-12 is in 2014-2015-1; registered 2014-12-02 is inside its window (2014-12-01…2015-03-15).
    _sheet(sheet, [["2014010001", "张三", "敬老院关爱行动", "2014-10-12", 8, "2014-12-02"],
                   ["2014010002", "李四", "敬老院关爱行动", "2014-10-12", "3小时", "2014-12-02"]])  # fmt: skip
    origin, runner, env = _setup(tmp_path, {"inbox/customs/签到表.xlsx": sheet.read_bytes()})
    result = _run(runner, env)
    assert result.returncode == 0, result.stdout + result.stderr
    # the branch moved on by one commit: the claim file in, the upload out
    head = helpers.git(origin, "rev-parse", "customs-upload").strip()
    assert helpers.git(origin, "rev-parse", f"{head}^").strip() == env["HEAD_SHA"]
    changed = helpers.git(
        origin, "-c", "core.quotepath=false", "diff", "--name-status", env["HEAD_SHA"], head
    ).splitlines()
    assert any(line.startswith("D\tinbox/customs/") for line in changed)
    added = [line.split("\t")[1] for line in changed if line.startswith("A\t")]
    assert len(added) == 1 and added[0].startswith("records/claims/2014-2015/customs/customs-2014-10-12-volunteering-")
    text = helpers.git(origin, "show", f"{head}:{added[0]}")
    assert "{student: 2014010001, hours: 8}" in text and "{student: 2014010002, hours: 3}" in text
    calls = _calls(env)
    status = [c["args"] for c in calls if c["args"][0] == "api"]
    assert status == [["api", "--method", "POST", f"repos/school/dekt/statuses/{head}",
                       "-f", "state=success", "-f", "context=validate",
                       "-f", "description=dekt validate: 没有问题 (no problems)"]]  # fmt: skip
    comments = [c for c in calls if c["args"][:3] == ["pr", "comment", "7"]]
    assert len(comments) == 1
    body = comments[0]["body"]
    # 2 students, 2 claims; 8 hours earn 0.5 (every full 8 hours in 2014-2015), 3 hours none: 0.5 in 综合素质类
    assert "2 名学生，2 条申报" in body and "| 综合素质类 | 0.5 |" in body
    assert "DK808" in body  # the "3小时" noted at its cell


def test_a_bad_upload_becomes_a_comment_and_no_commit(tmp_path):
    sheet = tmp_path / "汇总.xlsx"
    _sheet(sheet, [["2014010001", "李四", "敬老院关爱行动", "2014-10-12", 8, "2014-12-02"]])  # 2014010001 is 张三
    origin, runner, env = _setup(
        tmp_path, {"inbox/customs/汇总.xlsx": sheet.read_bytes(), "inbox/customs/说明.docx": b"PK\x03\x04"}
    )
    result = _run(runner, env)
    assert result.returncode == 1
    assert helpers.git(origin, "rev-parse", "customs-upload").strip() == env["HEAD_SHA"]
    calls = _calls(env)
    assert [c["args"][0] for c in calls] == ["pr"]  # one comment; no status, nothing else
    body = calls[0]["body"]
    assert "说明.docx：不是表格文件" in body
    assert "汇总.xlsx\\!Sheet1\\!A2 | DK807" in body
    assert "未做任何改动" in body


def test_a_large_file_is_refused(tmp_path):
    origin, runner, env = _setup(tmp_path, {"inbox/customs/big.csv": b"a," * 2000})
    env["MAX_BYTES"] = "1000"
    assert _run(runner, env).returncode == 1
    assert "文件过大" in _calls(env)[0]["body"]
    assert helpers.git(origin, "rev-parse", "customs-upload").strip() == env["HEAD_SHA"]
