"""Transcripts that verify for good: the register of issued transcripts, in real signed Git repositories.

The story, as a school lives it (each step a real ``dekt`` process; keys are ssh-keygen keys made here; the
builds start from fresh clones with empty output folders, as CI does):

1. Academic affairs merges a batch (students 01 and 02) with a signed merge; the build issues transcripts; the
   register records them in a signed commit (``dekt register --sign``). Student 01 keeps their PDF.
2. An unrelated batch (only student 02) is merged. A fresh clone is built: 01's record did not change, so 01's
   transcript keeps its date (the date of the merge that archived 01's claim, by the rule in
   ``canonical.record_date``), its code and its bytes: the kept PDF verifies as the current transcript.
3. 01's record changes (a new certified claim). The kept PDF still verifies — as genuine and superseded on the
   date of the new merge — and 01's new PDF verifies as current.

Dates: each commit's committer date is set here; the school's zone is Asia/Shanghai (rules/school.yaml), and all
times are at 10:00 +08:00, so each merge's date is the day written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest
from dekt.site import sealed
from dekt.transcript.register import REGISTER_DIR
from helpers import GIT_ENV, claim_text

ONE, TWO = "2014010001", "2014010002"
Y1 = "records/claims/2014-2015/customs"
Y2 = "records/claims/2015-2016/customs"


def env_at(day: str) -> dict:
    moment = f"{day}T10:00:00+08:00"
    return {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": moment, "GIT_COMMITTER_DATE": moment}


def git(root: Path, day: str, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=root, env=env_at(day), capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout


def dekt(root: Path, *args, day: str = "2016-03-01", extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**env_at(day), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dekt.cli", *map(str, args)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def club(student: str, activity: str, year: int) -> str:
    """A club leader's claim (1 credit) in the autumn of ``year``."""
    return claim_text(
        student,
        activity=activity,
        evidence=f"证明 {student} {activity}",
        date=f"{year}-10-26",
        registered=f"{year}-12-01",
    )


def signed_merge(root: Path, day: str, branch: str, files: dict[str, str], key: Path) -> None:
    """The shared signed merge (tests/helpers.py), every commit dated ``day``."""
    helpers.signed_merge(root, branch, files, key, f"合并 {branch}", env=env_at(day))


def fresh_build(origin: Path, where: Path, now: str) -> Path:
    """Clone ``origin`` into ``where`` and build it into an empty ``where/_out``; return the output folder."""
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True, capture_output=True)
    run = dekt(where, "build", "--out", where / "_out", "--now", now)
    assert run.returncode == 0, run.stdout + run.stderr
    return where / "_out"


def manifest(out: Path) -> dict:
    return json.loads((out / "private/transcripts/manifest.json").read_text(encoding="utf-8"))["transcripts"]


def register_from(origin: Path, out: Path, key: Path, day: str) -> subprocess.CompletedProcess:
    """``dekt register --sign`` in the origin repository, from a build of the same commit."""
    run = dekt(origin, "register", "--from", out, "--sign", "--key", key, day=day)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """Steps 1–3 of the module's story; returns the folders and the kept PDFs."""
    base = tmp_path_factory.mktemp("register")
    os.environ.setdefault("DEKT_CUSTODY_CACHE", str(base / "custody-cache"))
    key = base / "jwc"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jwc", "-f", str(key)], check=True)
    signers = f"jwc@school.example {key.with_suffix('.pub').read_text().strip()}\n"
    import helpers

    origin = helpers.make_repo(base, files={"rules/allowed_signers": signers, ".gitignore": "_b/\n"}, name="origin")
    git(origin, "2015-01-05", "init", "-q", "-b", "main")
    git(origin, "2015-01-05", "add", "-A")
    git(origin, "2015-01-05", "commit", "-q", "-m", "trust root")
    # 1. The first batch, built, registered; 01 keeps the PDF.
    signed_merge(
        origin,
        "2015-01-12",
        "batch-1",
        {f"{Y1}/{ONE}.yaml": club(ONE, "摄影协会", 2014), f"{Y1}/{TWO}.yaml": club(TWO, "书法协会", 2014)},
        key,
    )
    out1 = fresh_build(origin, base / "clone1", "2015-02-01T09:00:00+08:00")
    # The register is appended from a build of the very commit checked out in the origin.
    shutil.rmtree(origin / "_b", ignore_errors=True)
    assert dekt(origin, "build", "--out", origin / "_b", "--now", "2015-02-01").returncode == 0
    first = register_from(origin, origin / "_b", key, "2015-02-01")
    kept = base / "kept-2014010001.pdf"
    shutil.copy(out1 / f"private/transcripts/{ONE}.pdf", kept)
    # 2. An unrelated batch (02 only), built from a fresh clone on another day.
    signed_merge(origin, "2016-01-11", "batch-2", {f"{Y2}/{TWO}.yaml": club(TWO, "书法协会第二年", 2015)}, key)
    out2 = fresh_build(origin, base / "clone2", "2016-01-20T09:00:00+08:00")
    out2b = fresh_build(origin, base / "clone2b", "2016-02-25T16:00:00+08:00")  # the same commit, another day
    shutil.rmtree(origin / "_b")
    assert dekt(origin, "build", "--out", origin / "_b", "--now", "2016-01-20").returncode == 0
    register_from(origin, origin / "_b", key, "2016-01-20")
    # 3. 01's record changes.
    signed_merge(origin, "2016-01-25", "batch-3", {f"{Y2}/{ONE}.yaml": club(ONE, "摄影协会第二年", 2015)}, key)
    out3 = fresh_build(origin, base / "clone3", "2016-02-01T09:00:00+08:00")
    return {"base": base, "origin": origin, "key": key, "kept": kept, "out1": out1, "out2": out2, "out2b": out2b,
            "out3": out3, "first": first}  # fmt: skip


def verify(pdf: Path, records: Path, *more) -> subprocess.CompletedProcess:
    return dekt(pdf.parent, "verify", pdf, "--records", records, *more)


def test_the_issue_date_is_the_last_certified_change_not_the_build_day(story):
    # 01's only claim was archived by the merge of 2015-01-12; the builds ran on 2015-02-01 and 2016-01-20.
    assert manifest(story["out1"])[ONE]["issue_date"] == "2015-01-12"
    assert manifest(story["out2"])[ONE]["issue_date"] == "2015-01-12"
    # 02's record changed on 2016-01-11 (batch 2); 01's on 2016-01-25 (batch 3).
    assert manifest(story["out2"])[TWO]["issue_date"] == "2016-01-11"
    assert manifest(story["out3"])[ONE]["issue_date"] == "2016-01-25"
    # A student with no claims dates from the roster's last change: the trust-root commit of 2015-01-05.
    assert manifest(story["out3"])["2014010003"]["issue_date"] == "2015-01-05"


def test_two_builds_of_the_same_commit_on_different_days_give_the_same_bytes_and_codes(story):
    a, b = story["out2"], story["out2b"]
    assert {s: e["code"] for s, e in manifest(a).items()} == {s: e["code"] for s, e in manifest(b).items()}
    for pdf in sorted((a / "private/transcripts").glob("*.pdf")):
        assert pdf.read_bytes() == (b / "private/transcripts" / pdf.name).read_bytes(), pdf.name
    assert (a / "private/transcripts/manifest.json").read_bytes() == (
        b / "private/transcripts/manifest.json"
    ).read_bytes()


def test_an_unrelated_merge_leaves_the_kept_pdf_current_on_a_fresh_build(story):
    kept, out2 = story["kept"], story["out2"]
    assert kept.read_bytes() == (out2 / f"private/transcripts/{ONE}.pdf").read_bytes()
    run = verify(kept, out2 / "site")
    assert run.returncode == 0, run.stdout
    assert "真实有效" in run.stdout and "目前最新" in run.stdout and "newer" not in run.stdout


def test_after_the_students_record_changes_the_old_pdf_is_genuine_and_superseded(story):
    kept, out3 = story["kept"], story["out3"]
    run = verify(kept, out3 / "site")
    assert run.returncode == 0, run.stdout
    assert "真实有效" in run.stdout and "2016-01-25 签发了更新的成绩单" in run.stdout
    assert "a newer one was issued on 2016-01-25" in run.stdout and "forged" not in run.stdout
    new = out3 / f"private/transcripts/{ONE}.pdf"
    assert new.read_bytes() != kept.read_bytes()
    run = verify(new, out3 / "site")
    assert run.returncode == 0 and "目前最新" in run.stdout, run.stdout
    # The sealed record of the old transcript came from the register, which a fresh clone has.
    old_code = manifest(story["out1"])[ONE]["code"]
    record = sealed.find(out3 / "site/verify", old_code)
    assert record["status"] == "superseded" and record["superseded_on"] == "2016-01-25"
    assert record["pdf_sha256"] == manifest(story["out1"])[ONE]["pdf_sha256"]


def test_the_register_holds_code_data_hash_pdf_hash_and_date_in_signed_commits(story):
    origin = story["origin"]
    lines = [
        json.loads(line) for p in sorted((origin / REGISTER_DIR).glob("*.jsonl")) for line in p.read_text().splitlines()
    ]
    ones = [entry["record"] for entry in lines if entry["student"] == ONE]
    first = manifest(story["out1"])[ONE]
    assert ones == [first["record"]]  # 01 registered once: batch 2 left 01's transcript as it was
    assert {k: ones[0][k] for k in ("code", "issue_date", "pdf_sha256")} == {
        "code": first["code"], "issue_date": "2015-01-12", "pdf_sha256": first["pdf_sha256"]}  # fmt: skip
    assert len(ones[0]["data_sha256"]) == 64
    config = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "gpg.ssh.allowedSignersFile",
              "GIT_CONFIG_VALUE_0": str(origin / "rules/allowed_signers")}  # fmt: skip
    log = subprocess.run(["git", "log", "--format=%G? %s", "--", REGISTER_DIR], cwd=origin, capture_output=True,
                         text=True, check=True, env={**os.environ, **config}).stdout.split("\n")  # fmt: skip
    assert [line[:1] for line in log if line] == ["G", "G"]  # both register commits carry a good signature


def test_a_forged_register_entry_pushed_without_the_key_is_refused(story, tmp_path):
    # Someone who can push appends a record that would make a forged transcript verify (its own code and hash).
    forged = {
        **manifest(story["out3"])[ONE]["record"],
        "code": "DK-ZZZZ-ZZZZ-ZZZZ-ZZZ1",
        "total": "99.0",
        "pdf_sha256": "0" * 64,
    }
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(story["origin"]), str(clone)], check=True)
    target = clone / REGISTER_DIR / "2014.jsonl"
    target.write_text(target.read_text() + json.dumps({"student": ONE, "record": forged}, ensure_ascii=False) + "\n")
    # Uncommitted (pending): the build leaves the file out, says so, and seals no record for the forged code.
    run = dekt(clone, "build", "--out", tmp_path / "out-pending", "--now", "2016-02-01")
    assert run.returncode == 0, run.stderr
    assert f"{REGISTER_DIR}/2014.jsonl 未采用" in run.stdout
    assert sealed.find(tmp_path / "out-pending/site/verify", forged["code"]) is None
    # Committed without academic affairs' signature: the file is uncertified; validate and build name the commit.
    git(clone, "2016-02-02", "commit", "-q", "-am", "登记补录")
    sha = git(clone, "2016-02-02", "rev-parse", "HEAD").strip()
    run = dekt(clone, "build", "--out", tmp_path / "out-forged", "--now", "2016-02-03")
    assert run.returncode == 1
    assert (
        "DK720" in run.stdout + run.stderr
        and sha[:12] in run.stdout + run.stderr
        and "2014.jsonl" in run.stdout + run.stderr
    )
    assert not (tmp_path / "out-forged/site").exists()
    # And dekt register refuses to append on top of it.
    reg = dekt(clone, "register", "--from", story["out3"])
    assert reg.returncode != 0


def test_a_revoked_transcript_says_so(story, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(story["origin"]), str(clone)], check=True)
    code = manifest(story["out3"])[TWO]["code"]
    reason = ("--reason", "证明材料不实")
    run = dekt(clone, "register", "--revoke", code, "--student", TWO, *reason, "--sign", "--key", story["key"],
               "--now", "2016-02-05", day="2016-02-05")  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    assert dekt(clone, "build", "--out", out, "--now", "2016-02-06").returncode == 0
    pdf = tmp_path / "t.pdf"
    shutil.copy(story["out3"] / f"private/transcripts/{TWO}.pdf", pdf)
    run = verify(pdf, out / "site")
    assert run.returncode == 1 and "已于 2016-02-05 撤销" in run.stdout and "证明材料不实" in run.stdout


# -- in the browser ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site3(story):
    import functools
    import http.server
    import threading

    from test_site import _Quiet

    handler = functools.partial(_Quiet, directory=str(story["out3"] / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.slow
def test_the_verification_page_confirms_the_old_pdf_by_code_and_by_file(story, site3, browser, tmp_path):
    from test_site import Page

    page = Page(browser, site3)
    try:
        old = manifest(story["out1"])[ONE]
        pg = page.go(f"/verify/#code={old['code']}")
        pg.locator("#dekt-result[data-state=genuine]").wait_for()
        text = pg.inner_text("#dekt-result")
        assert "真实有效" in text and "2016-01-25" in text and "更新的成绩单" in text
        assert pg.locator("[data-status=superseded]").count() == 1
        pg.set_input_files("#dekt-pdf", str(story["kept"]))
        pg.locator("#dekt-pdf-result[data-state=genuine]").wait_for()
        # The new transcript is the current one.
        new = manifest(story["out3"])[ONE]
        pg.fill("#dekt-code", new["code"])
        pg.click("#dekt-verify button")
        pg.locator("[data-status=current]").wait_for()
        pg.set_input_files("#dekt-pdf", str(story["out3"] / f"private/transcripts/{ONE}.pdf"))
        pg.locator("#dekt-pdf-result[data-state=genuine]").wait_for()
        # The old file against the new code: not this transcript.
        pg.set_input_files("#dekt-pdf", str(story["kept"]))
        pg.locator("#dekt-pdf-result[data-state=invalid]").wait_for()
    finally:
        page.close()
    assert page.errors == []


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    from test_site import CHROMIUM

    with sync_playwright() as p:
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]  # fmt: skip
        b = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield b
        b.close()
