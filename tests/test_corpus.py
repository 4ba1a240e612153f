"""The bad-input corpus (tests/corpus/): each file reports exactly its expected diagnostics, all at once.

See tests/corpus/README.md for the layout, the placement header and companion files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from dekt.check import check_repository
from dekt.diagnostics import CATALOGUE, Severity
from dekt.models import to_model
from dekt.models.types import Flag, Strict
from dekt.yamlload import parse
from helpers import ROSTER, claim_text, make_repo, write_files

CORPUS = Path(__file__).parent / "corpus"
KINDS = ("claims", "rules", "roster")
DEFAULT_CLAIM_FOLDER = "records/claims/2014-2015/customs/"
ROSTER_FILE = "records/students.csv"
_HEADER = re.compile(rb"\A# path: (\S+)")
_COMPANION = re.compile(r"\.companion(-\d+)?\.")

# Codes of DK1xx–DK6xx that no corpus file produces, and where each is tested instead.
NOT_IN_CORPUS = {
    "DK100": "test_unreadable_claim_files_are_reported_and_the_others_checked",
    "DK106": "test_boolean_fields_accept_only_true_and_false (no claim or rules field is a boolean yet)",
    "DK410": "needs a Git base to compare with: tests/test_amend.py",
    "DK423": "its original is in a year without rules, an error of its own: tests/test_corrections.py",
    "DK115": "a file name, not content: test_files_under_claims_that_dekt_does_not_read_are_named",
    "DK116": "links are not files: test_symbolic_links_under_records_are_refused_never_followed",
    "DK117": "a committed cache folder: tests/test_cache.py::test_a_committed_cache_is_never_loaded_and_is_reported",
    "DK503": "test_missing_credit_rules_are_reported_with_the_claims",
    "DK504": ".github/CODEOWNERS out of step with rules/: tests/test_codeowners.py",
}


def _rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def is_companion(path: Path) -> bool:
    """A companion file completes a case and has no expectation of its own."""
    return bool(_COMPANION.search(path.name))


def corpus_cases(kind: str | None = None) -> list[Path]:
    """Every corpus file that is a case (not a companion), sorted."""
    kinds = [kind] if kind else KINDS
    return sorted(p for k in kinds for p in (CORPUS / k).iterdir() if p.is_file() and not is_companion(p))


def companions(case: Path) -> list[Path]:
    """The companion files of a case: ``<stem>.companion.yaml``, ``<stem>.companion-1.yaml``…"""
    stem = case.name.split(".")[0]
    return sorted(p for p in case.parent.iterdir() if is_companion(p) and p.name.split(".")[0] == stem)


def placement(path: Path) -> str:
    """Where a corpus file goes in the test repository (see the README's placement header)."""
    kind = path.parent.name
    if kind == "roster":
        return ROSTER_FILE
    match = _HEADER.match(path.read_bytes())
    where = match.group(1).decode() if match else (DEFAULT_CLAIM_FOLDER if kind == "claims" else None)
    assert where, f"{_rel(path)}: a rules case needs a '# path: rules/…' first line"
    return where + path.name if where.endswith("/") else where


def case_files(case: Path) -> dict[str, bytes]:
    """The case and its companions, keyed by their paths in the repository."""
    return {placement(p): p.read_bytes() for p in [*companions(case), case]}


def load_expected() -> dict[str, list[tuple]]:
    """expected.yaml: corpus path → list of (code, line[, col])."""
    data = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    return {name: [tuple(item) for item in items or []] for name, items in data.items()}


EXPECTED = load_expected()
CASES = corpus_cases()


def reported(diagnostics, file: str, with_col: bool) -> set[tuple]:
    """The (code, line[, col]) of the diagnostics in ``file``."""
    return {(d.code, d.line, d.col) if with_col else (d.code, d.line) for d in diagnostics if d.file == file}


def has_cols(expected: list[tuple]) -> bool:
    return bool(expected) and len(expected[0]) == 3


# ---------------------------------------------------------------- the corpus is complete and well formed


def test_every_file_has_an_expectation_and_every_expectation_a_file():
    on_disk = {_rel(p) for p in CASES}
    assert sorted(on_disk - set(EXPECTED)) == [], "corpus files without an entry in expected.yaml"
    assert sorted(set(EXPECTED) - on_disk) == [], "expected.yaml names files that do not exist"
    orphans = [_rel(p) for k in KINDS for p in (CORPUS / k).iterdir() if is_companion(p)]
    stems = {p.name.split(".")[0] for p in CASES}
    assert [o for o in orphans if o.split("/")[1].split(".")[0] not in stems] == [], "companions without a case"


def test_the_corpus_is_large_enough():
    assert len(corpus_cases("claims")) >= 35
    assert len(corpus_cases("rules")) >= 8
    assert len(corpus_cases("roster")) >= 5


def test_expectations_are_well_formed():
    for name, items in EXPECTED.items():
        assert items, f"{name}: a bad input must produce at least one diagnostic"
        assert len({len(i) for i in items}) == 1, f"{name}: give the column for every entry or for none"
        for item in items:
            assert len(item) in (2, 3) and item[0] in CATALOGUE, f"{name}: {item}"
            assert all(isinstance(n, int) and n >= 1 for n in item[1:]), f"{name}: {item}"
        assert len(set(items)) == len(items), f"{name}: an entry is listed twice"


def test_every_code_is_covered():
    covered: dict[str, set[str]] = {k: set() for k in KINDS}
    for name, items in EXPECTED.items():
        covered[name.split("/")[0]].update(item[0] for item in items)
    missing = {
        "claims (DK1xx–DK4xx)": [
            c for c in CATALOGUE if c[:3] in ("DK1", "DK2", "DK3", "DK4") and c not in covered["claims"]
        ],
        "rules (DK5xx)": [c for c in CATALOGUE if c.startswith("DK5") and c not in covered["rules"]],
        "roster (DK6xx)": [c for c in CATALOGUE if c.startswith("DK6") and c not in covered["roster"]],
    }
    missing = {k: [c for c in v if c not in NOT_IN_CORPUS] for k, v in missing.items()}
    assert missing == {k: [] for k in missing}, "add a corpus file for each, or say in NOT_IN_CORPUS where it is tested"


# ---------------------------------------------------------------- each case alone


@pytest.mark.parametrize("case", CASES, ids=_rel)
def test_case_reports_exactly_the_expected_diagnostics(case, tmp_path):
    files = case_files(case)
    root = make_repo(tmp_path, files.pop(ROSTER_FILE, ROSTER), files)  # a roster case replaces the roster
    checked = check_repository(root)
    main = placement(case)
    expected = EXPECTED[_rel(case)]
    stray = [f"{d.file}:{d.line}:{d.col} {d.code}" for d in checked.diagnostics if d.file != main]
    assert stray == [], "diagnostics in files other than the case (companions must be valid)"
    got = reported(checked.diagnostics, main, has_cols(expected))
    detail = "\n".join(f"  {d.line}:{d.col} {d.code} {d.message}" for d in checked.diagnostics)
    assert got == set(expected), f"{_rel(case)} reported:\n{detail}"


# ---------------------------------------------------------------- what the corpus files cannot express


def test_unreadable_claim_files_are_reported_and_the_others_checked(tmp_path):
    folder = "records/claims/2014-2015/customs"
    good = f"{folder}/2014010001-clubs.yaml"
    root = make_repo(tmp_path, ROSTER, {good: claim_text()})
    (root / folder / "dangling.yaml").symlink_to(root / folder / "no-such-target.yaml")
    (root / folder / "huge.yaml").write_bytes(b"note: " + b"x" * (8 * 1024 * 1024) + b"\n")
    checked = check_repository(root)
    assert [(d.file, d.code) for d in checked.diagnostics] == [
        (f"{folder}/dangling.yaml", "DK116"),  # a link, even one that leads nowhere
        (f"{folder}/huge.yaml", "DK100"),
    ]
    assert [e.file for e in checked.records.entries] == [good]
    assert checked.ledgers["2014010001"].total == 1


def test_files_under_claims_that_dekt_does_not_read_are_named(tmp_path):
    # dekt reads *.yaml and *.yml (lower case) only; anything else a secretary leaves there would be skipped
    # without a word and its claim never counted, so each is an error that names it.
    folder = "records/claims/2014-2015/customs"
    good = f"{folder}/2014010001-clubs.yaml"
    also_read = f"{folder}/2014010002-clubs.yml"
    unread = [f"{folder}/{name}" for name in ("shout.YAML", "draft.yaml.txt", "claim.json", "README.md", ".DS_Store")]
    unread.append("records/claims/notes.txt")  # outside any year folder too
    files = {good: claim_text(), also_read: claim_text("2014010002")}
    files.update({rel: claim_text("2014010003") for rel in unread})
    checked = check_repository(make_repo(tmp_path, ROSTER, files))
    assert sorted((d.file, d.code, d.line) for d in checked.diagnostics) == sorted((rel, "DK115", 1) for rel in unread)
    assert sorted(e.file for e in checked.records.entries) == [good, also_read]


def test_symbolic_links_under_records_are_refused_never_followed(tmp_path):
    folder = "records/claims/2014-2015/customs"
    good = f"{folder}/2014010001-clubs.yaml"
    root = make_repo(tmp_path / "repo", ROSTER, {good: claim_text()})
    outside = tmp_path / "outside"  # a folder of valid claims outside the repository
    write_files(outside, {"2014010002-clubs.yaml": claim_text("2014010002")})
    (root / folder / "to-outside.yaml").symlink_to(outside / "2014010002-clubs.yaml")
    (root / folder / "to-inside.yaml").symlink_to(root / good)
    (root / folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (root / "records/claims/2015-2016").symlink_to(root / "records/claims/2014-2015", target_is_directory=True)
    (root / "records/notes").symlink_to(outside, target_is_directory=True)  # not under claims/, refused too
    checked = check_repository(root)
    links = [f"{folder}/linked-folder", f"{folder}/to-inside.yaml", f"{folder}/to-outside.yaml",
             "records/claims/2015-2016", "records/notes"]  # fmt: skip
    assert sorted((d.file, d.code) for d in checked.diagnostics) == [(link, "DK116") for link in sorted(links)]
    assert [e.file for e in checked.records.entries] == [good], "nothing was read through a link"
    assert checked.ledgers["2014010002"].total == 0


def test_missing_credit_rules_are_reported_with_the_claims(tmp_path):
    bad = CORPUS / "claims" / "yaml_duplicate_key.yaml"
    root = make_repo(tmp_path, ROSTER, case_files(bad))
    shutil.rmtree(root / "rules" / "credits")
    checked = check_repository(root)
    assert checked.rules is None
    assert {(d.file, d.code) for d in checked.diagnostics} == {("rules/credits", "DK503"), (placement(bad), "DK102")}


class _Toggle(Strict):
    """A model with one boolean field, as a rules or claim field would declare it."""

    public: Flag


@pytest.mark.parametrize("written, value", [("true", True), ("false", False)])
def test_boolean_fields_accept_true_and_false(written, value):
    doc, _ = parse(f"public: {written}\n".encode(), "t.yaml")
    assert to_model(doc, _Toggle) == (_Toggle(public=value), [])


@pytest.mark.parametrize("written", ["yes", "no", "on", "off", "True", "FALSE", "y", "1", "0"])
def test_boolean_fields_accept_only_true_and_false(written):
    doc, _ = parse(f"# YAML 1.1 reads {written} as a boolean\npublic: {written}\n".encode(), "t.yaml")
    model, problems = to_model(doc, _Toggle)
    assert model is None
    assert [(d.code, d.line, d.col) for d in problems] == [("DK106", 2, 9)]
    assert f"“{written}”" in problems[0].message


def test_yaml_1_1_lookalikes_in_text_fields_are_read_verbatim(tmp_path):
    roster = ROSTER + (("0123", "郑一", "customs", "海关管理2014级2班", "2014", "enrolled"),)
    text = "activity: no\ncategory: clubs\ndate: 2014-10-26\nregistered: 2014-12-01\nrole: leader\n"
    files = {
        "records/claims/2014-2015/customs/one.yaml": text + "evidence: 2014-05-01\nnote: yes\nstudent: 0123\n",
        "records/claims/2014-2015/customs/group.yaml": text.replace("activity: no", "activity: 2014-05-01")
        + "organizer: off\nparticipants:\n  - {student: 2014010001, evidence: 1e3, note: on}\n",
    }
    checked = check_repository(make_repo(tmp_path, roster, files))
    assert checked.diagnostics == []
    one, group = sorted(checked.records.entries, key=lambda e: e.file, reverse=True)
    assert (one.student, one.activity, one.evidence) == ("0123", "no", "2014-05-01")
    assert (group.student, group.activity, group.evidence) == ("2014010001", "2014-05-01", "1e3")
    assert checked.ledgers["0123"].total == 1


# ---------------------------------------------------------------- everything at once, through the CLI

GOOD = {
    "records/claims/2014-2015/law/2014020001-debate.yaml": claim_text(
        "2014020001", activity="辩论协会（2014-2015 学年）", evidence="社团证明 GOOD-1"
    ),
    "records/claims/2014-2015/customs/zz-good-volunteering.yaml": (
        "activity: 2014年图书馆志愿服务\ncategory: volunteering\ndate: 2014-11-15\nregistered: 2014-12-05\n"
        "evidence: 签到表 GOOD-2\nparticipants:\n"
        "  - {student: 2013010001, hours: 8}\n  - {student: 2012010001, hours: 16}\n"
    ),
}


@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    """One repository holding every claim case and companion, plus good files."""
    files = {**GOOD}
    for case in corpus_cases("claims"):
        files.update(case_files(case))
    assert len(files) == len(GOOD) + sum(1 + len(companions(c)) for c in corpus_cases("claims")), "two files, one path"
    root = make_repo(tmp_path_factory.mktemp("combined"), ROSTER)
    write_files(root, files)
    return root


def _validate(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dekt.cli", "validate", "--repo", str(root), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_cli_reports_every_bad_file_at_once_as_json(combined):
    run = _validate(combined, "--format", "json")
    assert run.returncode == 1, run.stderr
    found = json.loads(run.stdout)
    assert found and all(set(d) == {"file", "line", "col", "code", "severity", "message"} for d in found)
    assert all(
        d["severity"] in ("error", "warning") and CATALOGUE[d["code"]].severity.value == d["severity"] for d in found
    )
    assert all(isinstance(d["line"], int) and isinstance(d["col"], int) and d["message"] for d in found)
    missing = []
    for case in corpus_cases("claims"):
        expected = EXPECTED[_rel(case)]
        n = len(expected[0])
        got = {(d["code"], d["line"], d["col"])[:n] for d in found if d["file"] == placement(case)}
        missing += [f"{_rel(case)}: {item}" for item in expected if item not in got]
    assert missing == [], "expected diagnostics missing when all files are checked together"
    assert [d for d in found if d["file"] in GOOD] == []


def test_cli_json_is_the_same_from_the_cache_and_human_output_has_positions(combined):
    first = _validate(combined, "--format", "json", "--no-cache")
    second = _validate(combined, "--format", "json")
    third = _validate(combined, "--format", "json")
    assert first.returncode == second.returncode == third.returncode == 1
    assert json.loads(first.stdout) == json.loads(second.stdout) == json.loads(third.stdout)
    human = _validate(combined)
    assert human.returncode == 1
    dup = placement(CORPUS / "claims" / "yaml_duplicate_key.yaml")
    assert f"{dup}:6:1: 错误 error DK102 " in human.stdout


def test_every_message_fills_its_template(combined):
    checked = check_repository(combined)
    optional = {"DK107": {"detail", "detail_en"}}  # the number's hint is only given when there is one
    bad = []
    for d in checked.diagnostics:
        entry = CATALOGUE[d.code]
        template = f"{entry.zh} ({entry.en})"
        pattern = ""
        for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
            pattern += re.escape(piece) if i % 2 == 0 else ("(.*?)" if piece in optional.get(d.code, ()) else "(.+?)")
        if not re.fullmatch(pattern, d.message, flags=re.DOTALL):
            bad.append(f"{d.file}:{d.line} {d.code} {d.message}")
    assert bad == [], "messages with an empty placeholder"


def test_good_files_count_beside_the_bad_ones(combined):
    checked = check_repository(combined)
    assert checked.ledgers["2014020001"].total == 1
    assert (checked.ledgers["2013010001"].total, checked.ledgers["2012010001"].total) == (Decimal("0.5"), 1)
    reported_files = {d.file for d in checked.diagnostics}
    silent = [_rel(c) for c in corpus_cases("claims") if placement(c) not in reported_files]
    assert silent == [], "a bad file was skipped silently"
    assert any(d.severity is Severity.WARNING for d in checked.diagnostics)


# ---------------------------------------------------------------- hostile input at the command line

# Every character a diagnostic must never print raw, whatever the format (yamlload.CONTROL, line feed aside).
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_the_roster_as_a_symbolic_link_is_refused(tmp_path):
    root = make_repo(tmp_path / "repo", ROSTER)
    real = tmp_path / "elsewhere.csv"
    (root / ROSTER_FILE).rename(real)
    (root / ROSTER_FILE).symlink_to(real)
    checked = check_repository(root)
    assert [(d.file, d.code) for d in checked.diagnostics] == [(ROSTER_FILE, "DK116")]
    assert checked.roster == {}


@pytest.fixture(scope="module")
def hostile_names(tmp_path_factory):
    """A repository whose bad claim files have names that carry an ESC, a bell, a C1 CSI and a bidi override."""
    folder = "records/claims/2014-2015/customs"
    names = {
        f"{folder}/\x1b[2J\x1b]0;pwned\x07.yaml": "activity: a\nactivity: b\n",  # DK102
        f"{folder}/\u202eevil\x9b31m.yaml": "activity: a\nactivity: b\n",
        f"{folder}/notes\x1b[8m.json": "{}",  # DK115: only the name
    }
    return make_repo(tmp_path_factory.mktemp("hostile"), ROSTER, names), sorted(names)


@pytest.mark.parametrize("fmt", ["human", "github", "json"])
def test_diagnostics_print_control_characters_escaped(hostile_names, fmt):
    root, names = hostile_names
    run = _validate(root, "--format", fmt, "--no-cache")
    assert run.returncode == 1, run.stderr
    assert _RAW.findall(run.stdout) == [], "a raw control character reached the output"
    assert "\\x1b[2J\\x1b]0;pwned\\x07.yaml" in run.stdout.replace("\\u001b", "\\x1b").replace("\\u0007", "\\x07")
    if fmt == "json":  # the escapes are JSON's own: the file names read back exactly
        assert sorted({d["file"] for d in json.loads(run.stdout)}) == names
    else:
        assert "\\u202eevil\\x9b31m.yaml" in run.stdout


def test_a_closed_pipe_ends_validate_quietly(combined):
    for args in (["validate", "--repo", str(combined)], ["validate", "--repo", str(combined), "--format", "json"],
                 ["--help"]):  # fmt: skip
        read, write = os.pipe()
        os.close(read)  # the reader is gone before dekt writes a byte: every write fails with EPIPE
        try:
            run = subprocess.run([sys.executable, "-m", "dekt.cli", *args], stdout=write, stderr=subprocess.PIPE,
                                 text=True, timeout=300, check=False)  # fmt: skip
        finally:
            os.close(write)
        assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr
        assert run.returncode in (0, 141), args  # 141 = 128 + SIGPIPE; --help may fit in what was written


def test_validate_piped_into_head_prints_no_traceback(combined):
    dekt = f'"{sys.executable}" -m dekt.cli validate --repo "{combined}" --format json'
    pipeline = f"set -o pipefail; {dekt} | head -c 10"
    run = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, timeout=300, check=False)
    assert run.stdout == '[\n  {\n    "'[:10]
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr
