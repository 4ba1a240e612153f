"""The parse cache: only what changed since the last run is parsed, the cache never changes a result, and
nothing in it can run: it is JSON in the user's cache folder, and a ``.dekt-cache/`` a pull request commits is
never read, only reported.

Real Git repositories in temporary folders; the school is made by ``dekt demo-data``.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest
from dekt import parsecache
from dekt.check import check_repository
from dekt.records import CACHE_DIR, blob_id, load_records

MAIN = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("dekt")
DEKT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "dekt.cli"]


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch) -> Path:
    """Each test's own user cache folder (``$XDG_CACHE_HOME``), for this process and the dekt it starts."""
    home = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def the_cache_file(root: Path) -> Path:
    """The one parse-cache file a run over ``root`` wrote, found by listing the folder (not by dekt's own key)."""
    files = list(Path(os.environ["XDG_CACHE_HOME"]).glob("dekt/parse/*"))
    assert len(files) == 1, files
    assert parsecache.cache_file(root) == files[0]
    return files[0]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "school"
    subprocess.run(
        [*DEKT, "demo-data", "--repo", str(MAIN), "--students", "60", "--seed", "1", str(out)],
        check=True,
        capture_output=True,
    )
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
    probe = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=school, capture_output=True, check=False)
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


def _framed(header: dict, body: bytes) -> bytes:
    return json.dumps(header).encode() + b"\n" + body


def _reframed(good: bytes, table) -> bytes:
    """The good file's format line, a new body, and that body's own correct digest: only the body is wrong."""
    header = json.loads(good.split(b"\n", 1)[0])
    body = json.dumps(table).encode()
    return _framed({**header, "digest": parsecache._digest(body)}, body)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda good: b"",
        lambda good: b"\x00not a cache at all\xff",
        lambda good: good[: len(good) // 2],
        lambda good: good[:-1] + b"X",  # one byte changed: the digest no longer matches
        lambda good: good.split(b"\n", 1)[1],  # the body alone, no format line
        lambda good: pickle.dumps(("claims-4-pydantic2", {})),  # what older dekt wrote, in the new place
        lambda good: _framed({"format": "claims-0-an-old-format", "digest": "0"}, good.split(b"\n", 1)[1]),
        lambda good: _reframed(good, ["three", "items", "list"]),
        lambda good: _reframed(good, {"records/claims/x.yaml": "not a pair"}),
        lambda good: b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON decoder's recursion
    ],
    ids=["empty", "garbage", "truncated", "one-byte-changed", "no-header", "a-pickle", "old-format",
         "wrong-shape", "wrong-entry", "deep"],
)  # fmt: skip
def test_corrupt_cache_is_ignored_and_replaced(corrupt, git_school):
    load_records(git_school)
    cache_file = the_cache_file(git_school)
    cache_file.write_bytes(corrupt(cache_file.read_bytes()))
    records = load_records(git_school)
    assert records.parsed == len(claim_paths(git_school))
    assert records.files == fresh(git_school)
    assert load_records(git_school).parsed == 0, "the corrupt cache was replaced by a good one"


def test_an_entry_that_does_not_decode_is_parsed_again_alone(git_school):
    load_records(git_school)
    cache_file = the_cache_file(git_school)
    good = cache_file.read_bytes()
    table = json.loads(good.split(b"\n", 1)[1])
    victims = sorted(table)[:3]
    table[victims[0]][1] = "not a payload"
    table[victims[1]][1][1] = [1, 2, 3]  # entries cut short: not a multiple of the stored fields
    table[victims[2]][1][0] = [["clubs"]]  # an entry's fields of another shape
    cache_file.write_bytes(_reframed(good, table))
    records = load_records(git_school)
    assert records.parsed == 3, "only the entries that do not decode are parsed again"
    assert records.files == fresh(git_school)
    assert load_records(git_school).parsed == 0


class _Payload:
    """What an attacker commits as .dekt-cache/claims.pickle: unpickling it runs a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_committed_cache_is_never_loaded_and_is_reported(git_school, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(("claims-4-pydantic2", _Payload(marker)))
    committed = git_school / CACHE_DIR / "claims.pickle"
    committed.parent.mkdir()
    committed.write_bytes(payload)
    helpers.git(git_school, "add", "-f", f"{CACHE_DIR}/claims.pickle")
    helpers.git(git_school, "commit", "-q", "-m", "a pull request that carries a cache")
    before = committed.stat()

    runs = [subprocess.run([*DEKT, "validate", "--format", "json", *flag], cwd=git_school, capture_output=True,
                           text=True, check=False) for flag in ([], [], ["--no-cache"])]  # fmt: skip
    for run in runs:
        assert run.returncode == 1, run.stderr
        found = json.loads(run.stdout)
        errors = [(d["file"], d["code"], d["line"]) for d in found if d["severity"] == "error"]
        assert errors == [(f"{CACHE_DIR}/claims.pickle", "DK117", 1)], "the generated school has no other error"
    check_repository(git_school)
    load_records(git_school)

    assert not marker.exists(), "the committed pickle was loaded: its payload ran"
    assert committed.read_bytes() == payload
    assert (committed.stat().st_mtime_ns, committed.stat().st_ino) == (before.st_mtime_ns, before.st_ino)


def test_the_cache_lives_in_the_users_cache_folder_one_file_per_repository(git_school, tmp_path, cache_home):
    load_records(git_school)
    first = the_cache_file(git_school)
    assert first.parent == cache_home / "dekt" / "parse"
    assert not (git_school / CACHE_DIR).exists()
    assert helpers.git(git_school, "status", "--porcelain", "--untracked-files=all") == ""
    assert json.loads(first.read_bytes().split(b"\n", 1)[0])["format"].startswith("claims-")

    other = tmp_path / "other"
    shutil.copytree(git_school, other)
    assert load_records(other).parsed == len(claim_paths(other)), "another repository never shares a cache"
    assert len(list(first.parent.iterdir())) == 2


def test_without_xdg_the_cache_goes_under_home(git_school, tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_records(git_school)
    assert len(list((tmp_path / "home" / ".cache" / "dekt" / "parse").iterdir())) == 1
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: a relative path is ignored
    assert load_records(git_school).parsed == 0
    assert not (git_school / "relative").exists()


def test_a_cache_folder_inside_the_repository_is_not_used(git_school, monkeypatch):
    # Files there could be committed, and then a pull request would decide what its claims parse to.
    monkeypatch.setenv("XDG_CACHE_HOME", str(git_school / "cache"))
    assert load_records(git_school).parsed == len(claim_paths(git_school))
    assert load_records(git_school).parsed == len(claim_paths(git_school))
    assert not (git_school / "cache").exists()


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


def test_validate_no_cache_gives_the_same_report(git_school):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    edit(claim_paths(git_school)[3], "category: ", "bogus: 1\ncategory: ")
    runs = [
        subprocess.run(
            [*DEKT, "validate", "--format", "json", *flag],
            cwd=git_school,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        for flag in ([], [], ["--no-cache"])
    ]
    assert [r.returncode for r in runs] == [1, 1, 1]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
