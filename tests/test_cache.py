"""The parse cache: only what changed since the last run is parsed, and the cache never changes a result.

Real Git repositories in temporary folders; the school is made by ``dekt demo-data``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from dekt.check import check_repository
from dekt.records import CACHE_DIR, blob_id, load_records

MAIN = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("dekt")
DEKT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "dekt.cli"]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "school"
    subprocess.run([*DEKT, "demo-data", "--repo", str(MAIN), "--students", "60", "--seed", "1", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture
def school(generated, tmp_path) -> Path:
    """A fresh copy of the generated school, not in Git."""
    dest = tmp_path / "school"
    shutil.copytree(generated, dest)
    assert not (dest / CACHE_DIR).exists()
    return dest


@pytest.fixture
def git_school(school) -> Path:
    helpers.git(school, "init", "-q", "-b", "main")
    helpers.git(school, "add", "-A")
    helpers.git(school, "commit", "-q", "-m", "school")
    return school


def claim_paths(root: Path) -> list[Path]:
    return sorted((root / "records/claims").rglob("*.yaml"))


def group_file(root: Path) -> Path:
    """A claim file with several participants."""
    return next(p for p in claim_paths(root) if "participants:" in p.read_text(encoding="utf-8"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fresh(root: Path):
    """What parsing every file from scratch gives, writing no cache."""
    return load_records(root, use_cache=False).files


def as_dicts(diagnostics) -> list[dict]:
    return [d.as_dict() for d in diagnostics]  # messages too: Diagnostic equality ignores them


def _runs_parse_only_what_changed(root: Path, commit) -> None:
    n = len(claim_paths(root))
    first = load_records(root)
    assert first.parsed == n and len(first.files) == n
    again = load_records(root)
    assert again.parsed == 0
    assert again.files == first.files == fresh(root)

    target = group_file(root)
    rel = target.relative_to(root).as_posix()
    edit(target, "activity: ", "activity: 改名")
    changed = load_records(root)
    assert changed.parsed == 1
    assert changed.files == fresh(root)
    assert all(e.activity.startswith("改名") for e in changed.files[rel].entries)
    assert load_records(root).parsed == 0, "the edited file is cached by its content until it is committed"

    commit("edit one claim")
    after = load_records(root)
    assert after.parsed == 0
    assert after.files == fresh(root)

    added = target.with_name("新增-申报.yaml")  # a non-ASCII name, as secretaries write them
    added.write_text(helpers.claim_text("2014010001").replace("摄影协会", "新社团"), encoding="utf-8")
    assert load_records(root).parsed == 1
    target.unlink()
    gone = load_records(root)
    assert gone.parsed == 0 and rel not in gone.files
    assert gone.files == fresh(root)


def test_git_repository_parses_only_what_changed(git_school):
    def commit(message):
        helpers.git(git_school, "commit", "-q", "-am", message)

    _runs_parse_only_what_changed(git_school, commit)


def test_folder_outside_git_uses_content_hashes(school):
    probe = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=school, capture_output=True)
    assert probe.returncode != 0, "this test needs a folder that is not inside a Git repository"
    _runs_parse_only_what_changed(school, lambda message: None)


def test_cache_keys_are_gits_blob_ids(git_school):
    for path in claim_paths(git_school)[:5]:
        oid = helpers.git(git_school, "hash-object", str(path)).strip()
        assert blob_id(path.read_bytes()) == oid


def test_staged_and_renamed_files_are_read_again(git_school):
    load_records(git_school)
    target = group_file(git_school)
    edit(target, "activity: ", "activity: 暂存")
    helpers.git(git_school, "add", str(target))
    staged = load_records(git_school)
    assert staged.parsed == 1 and staged.files == fresh(git_school)

    old = target.relative_to(git_school).as_posix()
    new = old.replace(".yaml", "-renamed.yaml")
    helpers.git(git_school, "mv", old, new)
    renamed = load_records(git_school)
    assert old not in renamed.files
    assert {e.file for e in renamed.files[new].entries} == {new}, "entries carry the file's new path"
    assert renamed.files == fresh(git_school)


def test_copied_content_keeps_its_own_path(git_school):
    load_records(git_school)
    a, b = claim_paths(git_school)[:2]
    b.write_bytes(a.read_bytes())
    rel_b = b.relative_to(git_school).as_posix()
    records = load_records(git_school)
    assert {e.file for e in records.files[rel_b].entries} == {rel_b}
    assert records.files == fresh(git_school)


def test_claims_folder_inside_a_larger_git_repository(tmp_path, generated):
    # A university may keep dekt in a sub-folder of a larger repository.
    mono = tmp_path / "mono"
    shutil.copytree(generated, mono / "second-transcript")
    helpers.git(mono, "init", "-q", "-b", "main")
    helpers.git(mono, "add", "-A")
    helpers.git(mono, "commit", "-q", "-m", "all")
    root = mono / "second-transcript"
    assert load_records(root).parsed == len(claim_paths(root))
    target = group_file(root)
    edit(target, "activity: ", "activity: 子目录")
    changed = load_records(root)
    assert changed.parsed == 1
    assert changed.files == fresh(root), "an edited file must never be answered from the cache"


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda good: b"",
        lambda good: b"\x00not a pickle at all\xff",
        lambda good: good[: len(good) // 2],
        lambda good: pickle.dumps(["three", "items", "list"]),
        lambda good: pickle.dumps(("claims-0-an-old-format", {})),
    ],
    ids=["empty", "garbage", "truncated", "wrong-shape", "old-format"],
)
def test_corrupt_cache_is_ignored_and_replaced(corrupt, git_school):
    load_records(git_school)
    cache_file = next((git_school / CACHE_DIR).glob("*.pickle"))
    cache_file.write_bytes(corrupt(cache_file.read_bytes()))
    records = load_records(git_school)
    assert records.parsed == len(claim_paths(git_school))
    assert records.files == fresh(git_school)
    assert load_records(git_school).parsed == 0, "the corrupt cache was replaced by a good one"


def test_cache_never_changes_diagnostics(git_school):
    warm = check_repository(git_school)
    assert as_dicts(warm.diagnostics) == as_dicts(check_repository(git_school, use_cache=False).diagnostics)

    files = claim_paths(git_school)
    edit(files[0], "category: ", "bogus: 1\ncategory: ")  # now invalid in shape
    group = next(p for p in files[3:] if "participants:" in p.read_text(encoding="utf-8"))
    edit(group, "{student: 20", "{student: 19")  # a student not on the roster
    files[1].write_bytes(files[2].read_bytes())  # the same claim twice
    cached = check_repository(git_school)
    uncached = check_repository(git_school, use_cache=False)
    assert not cached.ok
    codes = {d.code for d in cached.diagnostics}
    assert {"DK201", "DK301", "DK401"} <= codes
    assert as_dicts(cached.diagnostics) == as_dicts(uncached.diagnostics)
    assert cached.ledgers == uncached.ledgers

    helpers.git(git_school, "checkout", "-q", "--", ".")  # back to the committed school
    restored = check_repository(git_school)
    assert as_dicts(restored.diagnostics) == as_dicts(warm.diagnostics)
    assert restored.ledgers == warm.ledgers


def test_cache_folder_is_never_committed(git_school):
    load_records(git_school)
    assert (git_school / CACHE_DIR).is_dir()
    assert helpers.git(git_school, "status", "--porcelain", "--untracked-files=all") == ""


def test_validate_no_cache_gives_the_same_report(git_school):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    edit(claim_paths(git_school)[3], "category: ", "bogus: 1\ncategory: ")
    runs = [
        subprocess.run([*DEKT, "validate", "--format", "json", *flag], cwd=git_school, env=env, capture_output=True, text=True)
        for flag in ([], [], ["--no-cache"])
    ]
    assert [r.returncode for r in runs] == [1, 1, 1]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
