"""``dekt merge``: academic affairs' signed merge, in a real Git repository with a real SSH key made here.

The batch is the law department's (as in test_review_flow.py): the secretary fl-mishu submits, the department
reviewer fl-sun approves on Friday 2026-10-09 at 10:00 in Shanghai, academic affairs (jwc-liu) approves on
2026-10-20. The notice (rules/school.yaml: five working days, from the first working day after the department's
approval; rules/calendar.yaml) starts on Saturday 2026-10-10, a make-up working day (调休), and its fifth working
day is 2026-10-15 (10-10, 10-12, 10-13, 10-14, 10-15), so the merge's trailer reads ``Notice: 2026-10-10..2026-10-15``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from dekt.custody import certified_files
from helpers import GIT_ENV, claim_text, git

FOLDER = "records/claims/2014-2015/law"
CLAIMS = (f"{FOLDER}/club.yaml", f"{FOLDER}/club-2.yaml")
NOW = "2026-10-20T11:30:00+08:00"


@pytest.fixture(autouse=True)
def verdict_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DEKT_CUSTODY_CACHE", str(tmp_path / "custody-cache"))


def keygen(folder, name):
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path


def dekt(root, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run([sys.executable, "-m", "dekt.cli", *args], cwd=root, capture_output=True, text=True, env=env)


def forge_record(root, head: str, *, final: bool) -> dict:
    """The batch as ``gh pr view --json …`` reports it; academic affairs' approval only when ``final``."""
    reviews = [
        {
            "author": {"login": "fl-sun"},
            "state": "APPROVED",
            "submittedAt": "2026-10-09T02:00:00Z",
            "commit": {"oid": head},
        }
    ]
    if final:
        reviews.append({"author": {"login": "jwc-liu"}, "state": "APPROVED", "submittedAt": "2026-10-20T03:00:00Z",
                        "commit": {"oid": head}})  # fmt: skip
    return {
        "number": 21, "title": "法律系 2014-2015 第一学期 第二课堂申报", "state": "OPEN", "headRefOid": head,
        "baseRefName": "main", "author": {"login": "fl-mishu"}, "createdAt": "2026-10-08T01:00:00Z",
        "files": [{"path": p} for p in git(root, "diff", "--name-only", "main", head).split()],
        "changedFiles": 2, "labels": [], "comments": [], "reviews": reviews, "timelineItems": [],
        "commits": [{"oid": head, "committedDate": "2026-10-08T01:00:00Z"}],
    }  # fmt: skip


@pytest.fixture
def batch(repo_factory, tmp_path):
    """A signed archive (the trust root lists jwc's key) and the secretary's unsigned batch on a branch."""
    key = keygen(tmp_path, "jwc")
    signers = f"jwc-liu@school.example {key.with_suffix('.pub').read_text().strip()}\n"
    root = repo_factory(files={"rules/allowed_signers": signers}, init_git=True)
    git(root, "switch", "-q", "-c", "law-batch")
    (root / FOLDER).mkdir(parents=True)
    (root / CLAIMS[0]).write_text(claim_text("2014020001"), encoding="utf-8")
    (root / CLAIMS[1]).write_text(claim_text("2013020001", evidence="证明 2"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "法律系第一批")
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "switch", "-q", "main")
    return root, key, head


def trailers(root, commit: str = "HEAD") -> dict[str, list[str]]:
    """The commit's trailers as Git parses them."""
    out: dict[str, list[str]] = {}
    text = git(root, "log", "-1", "--format=%(trailers:only,unfold)", commit)
    for line in filter(None, text.splitlines()):
        key, _, value = line.partition(": ")
        out.setdefault(key, []).append(value)
    return out


def test_a_batch_the_gate_passes_is_merged_signed_with_its_review_record(batch, tmp_path):
    root, key, head = batch
    before = git(root, "rev-parse", "main").strip()
    (tmp_path / "pr.json").write_text(json.dumps(forge_record(root, head, final=True)), encoding="utf-8")
    r = dekt(root, "merge", "--pr", str(tmp_path / "pr.json"), "--key", str(key), "--now", NOW)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "已签名合并 signed merge" in r.stdout and "签名链完整" in r.stdout
    merge = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "rev-parse", "HEAD^1", "HEAD^2").split() == [before, head]  # --no-ff: main first, the batch second
    assert trailers(root) == {
        "Dekt-PR": ["21"],
        "Submitted-by": ["fl-mishu"],
        "Reviewed-by": ["fl-sun"],
        "Notice": ["2026-10-10..2026-10-15"],  # see the module docstring
        "Approved-by": ["jwc-liu"],
        "Merged-by": ["jwc-liu"],  # no --merged-by: the final approver
    }
    # The trailers are inside what the key signed: Git verifies the signature against the allowed signers.
    cmd = ["git", "-c", "gpg.ssh.allowedSignersFile=rules/allowed_signers", "verify-commit", "-v", merge]
    verify = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert verify.returncode == 0 and 'Good "git" signature for jwc-liu@school.example' in verify.stderr
    assert "Dekt-PR: 21" in verify.stdout + verify.stderr
    custody = certified_files(root)
    assert custody.signed and custody.commits == 1 and not custody.uncertified
    assert {custody.state(c) for c in CLAIMS} == {"certified"}
    assert dekt(root, "validate").returncode == 0
    ledger = json.loads(dekt(root, "ledger", "2014020001", "--format", "json").stdout)
    assert [(it["file"], it["counted"], it["credits"]) for it in ledger["items"]] == [
        (CLAIMS[0], True, "1.0")
    ]  # club leader


def test_a_batch_the_gate_refuses_is_not_merged_and_nothing_changes(batch, tmp_path):
    root, key, head = batch
    before = git(root, "rev-parse", "main").strip()
    (tmp_path / "pr.json").write_text(json.dumps(forge_record(root, head, final=False)), encoding="utf-8")
    r = dekt(root, "merge", "--pr", str(tmp_path / "pr.json"), "--key", str(key), "--now", NOW)
    assert r.returncode == 1 and "已签名合并" not in r.stdout
    assert git(root, "rev-parse", "main").strip() == before and git(root, "status", "--porcelain") == ""
    assert not (root / ".git" / "MERGE_HEAD").exists() and not (root / CLAIMS[0]).exists()


def test_a_merge_signed_by_a_key_not_in_the_allowed_signers_is_reported_before_any_push(batch, tmp_path):
    root, _key, head = batch
    stranger = keygen(tmp_path, "stranger")
    (tmp_path / "pr.json").write_text(json.dumps(forge_record(root, head, final=True)), encoding="utf-8")
    r = dekt(root, "merge", "--pr", str(tmp_path / "pr.json"), "--key", str(stranger), "--now", NOW)
    assert r.returncode == 1 and "未被 rules/allowed_signers 认可" in r.stderr
    assert {certified_files(root).state(c) for c in CLAIMS} == {"uncertified"}
