"""The build's output folder: whole or unchanged, one build at a time, never one of the repository's own folders.

Real builds (``dekt build`` processes: WeasyPrint, MkDocs) of a small repository in temporary folders.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest

DEKT = [sys.executable, "-m", "dekt.cli"]
NOW = "2015-06-01T10:00:00+08:00"
pytestmark = pytest.mark.slow


def dekt(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*DEKT, *map(str, args)], cwd=cwd, capture_output=True, text=True)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones included) → its SHA-256: equal snapshots mean byte-identical trees."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture
def school(repo_factory):
    """A small school with its own copy of the site project (so a test can add a hand-written page)."""
    root = repo_factory(files={
        "records/claims/2014-2015/customs/club.yaml": helpers.claim_text("2014010001"),
        "records/claims/2014-2015/customs/club2.yaml": helpers.claim_text("2014010002", activity="书法协会"),
    })  # fmt: skip
    shutil.copytree(helpers.ROOT / "site", root / "site")
    return root


def test_failed_build_leaves_output_byte_identical(school):
    out = school / "_build"
    first = dekt("build", "--out", out, "--now", NOW, cwd=school)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert any(k.startswith("private/transcripts/") and k.endswith(".pdf") for k in before)
    assert "site/index.html" in before
    # A change that re-renders a transcript (a new claim for 2014010003) and a hand-written page quoting a full
    # student id: the transcripts render, then the privacy check refuses the site. Nothing may change in _build.
    helpers.write_files(school, {
        "records/claims/2014-2015/customs/club3.yaml": helpers.claim_text("2014010003", activity="围棋协会"),
        "site/docs/guide/leak.md": "# 表扬\n\n学号 2014010003 的同学表现优秀。\n",
    })  # fmt: skip
    second = dekt("build", "--out", out, "--now", NOW, cwd=school)
    assert second.returncode == 1, second.stdout  # the repository's content stops it: problems found
    assert "隐私检查" in second.stderr
    assert snapshot(out) == before  # no new PDF, no new ledger, no half-swapped site, no stage left behind
    (school / "site/docs/guide/leak.md").unlink()
    third = dekt("build", "--out", out, "--now", NOW, cwd=school)
    assert third.returncode == 0, third.stderr
    assert (out / "private/transcripts/2014010003.pdf").is_file()
    # The unchanged students' PDFs were reused from the previous build, byte for byte.
    assert snapshot(out)["private/transcripts/2014010001.pdf"] == before["private/transcripts/2014010001.pdf"]
    assert not (out / ".stage").exists() and not (out / ".swap").exists()


def test_second_concurrent_build_refused(school):
    out = school / "_build"
    out.mkdir()
    with open(out / ".dekt-build.lock", "a+") as held:  # another build holds the lock, as a running one would
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = dekt("build", "--out", out, "--now", NOW, cwd=school)
    assert run.returncode == 1
    assert "另一个构建正在写入" in run.stderr and "another build" in run.stderr
    assert not (out / "site").exists() and not (out / "private").exists()


@pytest.mark.parametrize("target", [".", "site", "records/out", "rules", "./tests/x"])
def test_output_inside_repository_folders_refused(school, target):
    before = snapshot(school)
    run = dekt("build", "--out", target, "--now", NOW, cwd=school)
    assert run.returncode == 1, run.stdout
    assert "拒绝使用输出目录" in run.stderr and "refusing output folder" in run.stderr
    assert snapshot(school) == before  # site/ (the MkDocs project) and everything else untouched


def test_foreign_folder_not_overwritten(school, tmp_path):
    out = tmp_path / "mine"
    helpers.write_files(out, {"site/index.html": "<p>my own page</p>", "private/notes.txt": "mine"})
    run = dekt("build", "--out", out, "--now", NOW, cwd=school)
    assert run.returncode == 1
    assert "不是 dekt 生成的" in run.stderr
    assert (out / "site/index.html").read_text() == "<p>my own page</p>"
    assert (out / "private/notes.txt").read_text() == "mine"


def test_interrupted_swap_is_finished_by_the_next_build(tmp_path):
    from dekt import output

    out = tmp_path / "out"
    helpers.write_files(
        out, {"private/a.txt": "new private", "site/a.txt": "old site", ".stage/site/a.txt": "new site"}
    )
    (out / ".swap").write_text("private\nsite\n")  # the journal of a build that crashed after moving private/
    with output.locked(out):
        assert (out / "site/a.txt").read_text() == "new site"
        assert (out / "private/a.txt").read_text() == "new private"
        assert not (out / ".swap").exists() and not (out / ".stage").exists()


def test_demo_data_refuses_to_replace_records(school):
    claims = snapshot(school / "records")
    run = dekt("demo-data", "--repo", school, "--students", 20, "--seed", 1, school, cwd=school)
    assert run.returncode == 1
    assert "--force" in run.stderr
    assert snapshot(school / "records") == claims  # not one claim file deleted
    forced = dekt("demo-data", "--repo", school, "--students", 20, "--seed", 1, "--force", school, cwd=school)
    assert forced.returncode == 0, forced.stderr
    assert snapshot(school / "records") != claims


def test_unusable_font_cache_is_a_clear_error(school, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "DEKT_FONT_CACHE": str(blocker / "fonts")}
    run = subprocess.run([*DEKT, "build", "--out", str(school / "_build"), "--now", NOW], cwd=school, env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "DEKT_FONT_CACHE" in run.stderr and "font cache folder cannot be used" in run.stderr
    assert not (school / "_build" / "site").exists()
