"""The chain of custody, in real Git repositories with real SSH signatures made by keys generated here.

Expected results follow the rules of ``dekt.custody`` (and the issue): the first ``rules/allowed_signers`` is the
trust root; every later commit on main must be signed by a key listed at its parent; a claim whose archived
content comes from any other commit never counts. The claims are club claims of one student: a club member
earns 0.5 credits (rules/credits/2014-2015.yaml: clubs, table 1.0 times the member factor 0.5), and every ledger
total is checked to be the sum of the items that count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import helpers
import pytest
from dekt.custody import certified_files
from helpers import GIT_ENV, claim_text, git

FOLDER = "records/claims/2014-2015/customs"
A, B = f"{FOLDER}/a.yaml", f"{FOLDER}/b.yaml"
C = "records/claims/2015-2016/customs/c.yaml"  # another academic year, clear of any per-year cap on clubs
STUDENT = "2014010001"


@pytest.fixture(autouse=True)
def verdict_cache(tmp_path, monkeypatch):
    """Each test verifies with its own verdict cache (the user's is never touched)."""
    monkeypatch.setenv("DEKT_CUSTODY_CACHE", str(tmp_path / "custody-cache"))
    return tmp_path / "custody-cache"


def keygen(folder: Path, name: str) -> Path:
    """A fresh ed25519 key pair; returns the private key's path (the public key is beside it, ``.pub``)."""
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
    return path


def club(activity: str, year: int = 2014) -> str:
    """A club member's claim (0.5 credits) for ``activity`` in the autumn of ``year``, with its own evidence."""
    return claim_text(
        STUDENT,
        activity=activity,
        evidence=f"证明 {activity}",
        date=f"{year}-10-26",
        registered=f"{year}-12-01",
        role="member",
    )


def signer_line(principal: str, key: Path) -> str:
    return f"{principal} {key.with_suffix('.pub').read_text().strip()}\n"


def commit(root: Path, message: str, files: dict[str, str | None], key: Path | None = None) -> str:
    """Write (or, for None, delete) ``files`` and commit them on the current branch, signed with ``key`` if given."""
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit", "-S"] if key else ["commit"]
    git(root, *sign, "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def signed_merge(root: Path, branch: str, files: dict[str, str], key: Path, message: str = "合并申报") -> str:
    """The shared signed merge (tests/helpers.py), with this file's default merge message."""
    return helpers.signed_merge(root, branch, files, key, message)


@pytest.fixture
def keys(tmp_path):
    return {name: keygen(tmp_path, name) for name in ("jwc", "jwc2", "stranger")}


@pytest.fixture
def signed_repo(repo_factory, keys):
    """A repository whose first commit holds rules/allowed_signers (the trust root: jwc's key) and one claim,
    A, merged by a signed merge."""
    root = repo_factory(files={"rules/allowed_signers": signer_line("jwc@school.example", keys["jwc"])}, init_git=True)
    signed_merge(root, "batch-1", {A: club("摄影协会")}, keys["jwc"])
    return root


def dekt(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        [sys.executable, "-m", "dekt.cli", *args], cwd=root, capture_output=True, text=True, env=env, check=False
    )


def ledger_items(root: Path, student: str = STUDENT) -> tuple[dict, Decimal]:
    """The student's ledger as JSON (items by file) and its total, which must be the sum of the counted items."""
    out = dekt(root, "ledger", student, "--format", "json")
    data = json.loads(out.stdout)
    items = {it["file"]: it for it in data["items"]}
    assert Decimal(data["total"]) == sum(Decimal(it["credits"]) for it in items.values() if it["counted"])
    return items, Decimal(data["total"])


def counted(root: Path) -> set[str]:
    """The claim files that count on the student's ledger."""
    return {f for f, it in ledger_items(root)[0].items() if it["counted"]}


def transcript_text(root: Path, tmp_path: Path, student: str = STUDENT) -> str:
    """The student's transcript preview (HTML), as ``dekt transcript --html`` writes it."""
    target = tmp_path / f"{student}.html"
    r = dekt(root, "transcript", student, "--html", "-o", str(target), "--now", "2015-08-01")
    assert r.returncode == 0, r.stderr
    return target.read_text(encoding="utf-8")


def test_a_signed_history_counts_and_is_cached(signed_repo, verdict_cache, tmp_path):
    custody = certified_files(signed_repo)
    # The first-parent history after the root is the merge alone (the secretary's commit is its second parent).
    assert custody.signed and custody.commits == 1 and custody.verified == 1
    assert custody.state(A) == "certified"
    r = dekt(signed_repo, "validate")
    assert r.returncode == 0, r.stdout + r.stderr
    items, total = ledger_items(signed_repo)
    assert (
        items[A]["counted"] and items[A]["custody"] is None and total == Decimal("0.5")
    )  # A alone: a club member, 0.5 credits
    assert "摄影协会" in transcript_text(signed_repo, tmp_path)
    again = certified_files(signed_repo)
    assert again.verified == 0 and json.loads((verdict_cache / "verdicts.json").read_text())["format"] == 1


def test_unsigned_commit_adding_a_claim_on_main_is_never_counted(signed_repo, tmp_path):
    sha = commit(signed_repo, "直接提交", {B: club("书法协会")})
    r = dekt(signed_repo, "validate")
    assert r.returncode == 1
    assert f"{B}:1:1: 错误 DK720" in r.stdout or ("DK720" in r.stdout and B in r.stdout)
    assert sha[:12] in r.stdout and "提交未签名" in r.stdout and "直接提交" in r.stdout
    items, total = ledger_items(signed_repo)
    assert items[B]["custody"] == "uncertified" and not items[B]["counted"] and "未经认定" in items[B]["excluded_why"]
    assert total == Decimal("0.5") and counted(signed_repo) == {A}  # only A (a club member: 0.5 credits) counts
    text = dekt(signed_repo, "ledger", STUDENT).stdout
    assert "未经认定 not certified" in text
    build = dekt(signed_repo, "build", "--out", str(tmp_path / "out"))
    assert build.returncode == 1 and not (tmp_path / "out" / "private").exists()  # no transcript at all


def test_commit_signed_by_an_unlisted_key_is_not_trusted(signed_repo, keys):
    sha = commit(signed_repo, "陌生密钥签名", {B: club("书法协会")}, keys["stranger"])
    custody = certified_files(signed_repo)
    assert custody.state(B) == "uncertified" and custody.uncertified[B].commit == sha
    assert "不在其父提交的 rules/allowed_signers 中" in custody.uncertified[B].verdict.why
    r = dekt(signed_repo, "validate", "--format", "json")
    assert r.returncode == 1
    [d] = json.loads(r.stdout)
    assert (d["file"], d["code"]) == (B, "DK720") and sha[:12] in d["message"]
    assert counted(signed_repo) == {A}


def test_a_key_added_by_an_unsigned_commit_signs_nothing(signed_repo, keys):
    allowed = (signed_repo / "rules/allowed_signers").read_text()
    add = commit(
        signed_repo, "加一把钥匙", {"rules/allowed_signers": allowed + signer_line("evil@x", keys["stranger"])}
    )
    claim = commit(signed_repo, "用新钥匙签名", {B: club("书法协会")}, keys["stranger"])
    r = dekt(signed_repo, "validate", "--format", "json")
    assert r.returncode == 1
    found = {(d["file"], d["code"]): d["message"] for d in json.loads(r.stdout)}
    assert (
        add[:12] in found[("rules/allowed_signers", "DK720")] and "未签名" in found[("rules/allowed_signers", "DK720")]
    )
    assert claim[:12] in found[(B, "DK720")]
    items, total = ledger_items(signed_repo)
    assert items[B]["custody"] == "uncertified" and total == Decimal("0.5")  # A alone: a club member, 0.5 credits


def test_rotation_signed_by_the_old_key_hands_trust_to_the_new(signed_repo, keys):
    # jwc (trusted) replaces itself with jwc2: from then on jwc2 signs, and jwc no longer does.
    commit(
        signed_repo,
        "轮换密钥",
        {"rules/allowed_signers": signer_line("jwc2@school.example", keys["jwc2"])},
        keys["jwc"],
    )
    signed_merge(signed_repo, "batch-2", {B: club("书法协会")}, keys["jwc2"])
    assert dekt(signed_repo, "validate").returncode == 0
    assert counted(signed_repo) == {A, B}
    old = commit(signed_repo, "旧钥匙", {C: club("围棋协会", 2015)}, keys["jwc"])
    custody = certified_files(signed_repo)
    assert custody.state(C) == "uncertified" and custody.uncertified[C].commit == old
    assert (custody.state(A), custody.state(B), custody.state("rules/allowed_signers")) == ("certified",) * 3


def test_revert_and_certify_after_the_fact_are_the_ways_back(signed_repo, keys):
    bad = commit(signed_repo, "直接提交", {B: club("书法协会")})
    assert dekt(signed_repo, "validate").returncode == 1
    # Way 1: academic affairs reverts the unsigned commit with a signed commit; the claim is gone, nothing fails.
    git(signed_repo, "-c", "gpg.format=ssh", "-c", f"user.signingkey={keys['jwc']}", "revert", "-S", "--no-edit", bad)
    assert dekt(signed_repo, "validate").returncode == 0
    assert not (signed_repo / B).exists() and counted(signed_repo) == {A}
    # …and the claim comes back through a normal batch: a signed merge.
    signed_merge(signed_repo, "batch-2", {B: club("书法协会")}, keys["jwc"])
    assert dekt(signed_repo, "validate").returncode == 0 and counted(signed_repo) == {A, B}
    # Way 2: a later unsigned commit certified by a signed merge whose trailers say "Certifies: <commit>".
    late = commit(signed_repo, "直接提交", {C: club("围棋协会", 2015)})
    assert dekt(signed_repo, "validate").returncode == 1
    message = f"事后认定 (#9)\n\nDekt-PR: 9\nApproved-by: jwc-wang\nCertifies: {late}\n"
    signed_merge(signed_repo, "certify-9", {"README.md": "认定\n"}, keys["jwc"], message)
    assert dekt(signed_repo, "validate").returncode == 0 and counted(signed_repo) == {A, B, C}


def test_a_pull_requests_own_claims_are_pending(signed_repo, tmp_path):
    git(signed_repo, "checkout", "-q", "-b", "batch-2")
    commit(signed_repo, "batch-2: 提交申报", {B: club("书法协会")})
    r = dekt(signed_repo, "validate", "--base", "main")
    assert r.returncode == 0, r.stdout
    items, total = ledger_items(signed_repo)
    assert (
        items[B]["custody"] == "pending" and not items[B]["counted"] and total == Decimal("0.5")
    )  # A alone: a club member, 0.5 credits
    assert "待归档 pending" in dekt(signed_repo, "ledger", STUDENT).stdout
    page = transcript_text(signed_repo, tmp_path)
    assert "摄影协会" in page and "书法协会" not in page


def test_uncommitted_files_are_pending_and_pending_rules_make_no_transcript(signed_repo, tmp_path):
    (signed_repo / B).write_text(club("书法协会"), encoding="utf-8")
    assert dekt(signed_repo, "validate").returncode == 0
    items, total = ledger_items(signed_repo)
    assert items[B]["custody"] == "pending" and total == Decimal("0.5")  # A alone: a club member, 0.5 credits
    page = transcript_text(signed_repo, tmp_path)
    assert "书法协会" not in page
    calendar = signed_repo / "rules/calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    r = dekt(signed_repo, "transcript", STUDENT, "--html", "-o", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "rules/calendar.yaml" in r.stderr and not (tmp_path / "x.html").exists()


def test_without_allowed_signers_every_run_says_nothing_is_signed(repo_factory):
    root = repo_factory(files={A: claim_text(STUDENT)}, init_git=True)
    r = dekt(root, "validate")
    assert r.returncode == 0 and "未签名模式" in r.stderr and "UNSIGNED MODE" in r.stderr
    for fmt in ("github", "json"):  # the banner goes to stderr: the annotations and the JSON stay the diagnostics
        assert "UNSIGNED MODE" in dekt(root, "validate", "--format", fmt).stderr
    assert counted(root) == {A}  # unsigned mode counts as before


def tampered(root: Path, message: str) -> str:
    """Main's signed head with its message changed after signing (the signature kept): main is moved to it."""
    raw = subprocess.run(["git", "cat-file", "commit", "HEAD"], cwd=root, capture_output=True, check=True).stdout
    header, _, _body = raw.partition(b"\n\n")
    forged = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
            cwd=root,
            check=True,
            input=header + b"\n\n" + message.encode(),
            capture_output=True,
        )
        .stdout.decode()
        .strip()
    )
    git(root, "update-ref", "refs/heads/main", forged)
    return forged


def test_a_signed_merge_changed_after_signing_is_refused(signed_repo, keys):
    # The key is listed without options: the signature is checked in-process (dekt.custody._ed25519_verdict).
    signed_merge(signed_repo, "batch-2", {B: club("书法协会")}, keys["jwc"], "合并申报 (#2)\n\nApproved-by: jwc-wang\n")
    assert certified_files(signed_repo).state(B) == "certified"
    forged = tampered(signed_repo, "合并申报 (#2)\n\nApproved-by: jwc-liu\n")  # another approver, same signature
    custody = certified_files(signed_repo)
    assert custody.state(B) == "uncertified" and custody.uncertified[B].commit == forged
    assert custody.uncertified[B].verdict.why == "签名无效（jwc@school.example）"


def test_allowed_signers_options_are_honoured_by_ssh_keygen(repo_factory, keys, tmp_path):
    # With options on its line, a key's signatures are checked by ssh-keygen, which reads them: jwc2 may sign only
    # before 2000 (valid-before), so its signature on a 2015 commit is refused; jwc, limited to the git namespace,
    # signs as before — and a change after signing is refused on this path too.
    pub = {name: keys[name].with_suffix(".pub").read_text().strip() for name in ("jwc", "jwc2")}
    signers = (
        f'jwc@school.example namespaces="git" {pub["jwc"]}\njwc2@school.example valid-before="20000101" {pub["jwc2"]}\n'
    )
    root = repo_factory(files={"rules/allowed_signers": signers}, init_git=True)
    signed_merge(root, "batch-1", {A: club("摄影协会")}, keys["jwc"], "合并 (#1)\n")
    assert certified_files(root).state(A) == "certified"
    signed_merge(root, "batch-2", {B: club("书法协会")}, keys["jwc2"], "合并 (#2)\n")
    custody = certified_files(root)
    assert custody.state(B) == "uncertified" and "签名无效" in custody.uncertified[B].verdict.why
    git(root, "reset", "-q", "--hard", "HEAD^1")  # main back to batch-1's merge (inside this test's repository)
    forged = tampered(root, "合并 (#9)\n")
    custody = certified_files(root)
    assert custody.uncertified[A].commit == forged and "签名无效" in custody.uncertified[A].verdict.why
