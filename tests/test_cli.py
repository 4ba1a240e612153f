"""The ``dekt`` command as a user runs it: the real console script in a subprocess, on copies of real repositories.

Every test works on a temporary copy; nothing here writes into the project folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import helpers
import pytest
import yaml
from dekt.check import check_repository
from dekt.cli import parser

MAIN = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("dekt")
DEKT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "dekt.cli"]
C = "records/claims/2014-2015/customs/"
L = "records/claims/2014-2015/law/"
# "file:line:col: 错误 error DK123 message" — the human format, one diagnostic a line.
HUMAN = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?:错误 error|警告 warning) (?P<code>DK\d{3}) (?P<msg>.+)$", re.M
)
ANNOTATION = re.compile(
    r"^::(?P<kind>error|warning) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+)"
    r"(?:,title=(?P<code>DK\d{3}))?::(?P<msg>.+)$"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def dekt(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real ``dekt`` command; the CI step summary of the machine running the tests is never touched."""
    base = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run(
        [*DEKT, *map(str, args)], cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True
    )


def at(text: str, needle: str, after: str = "") -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text`` (the first that follows ``after``)."""
    before = text[: text.index(needle, text.index(after) + len(after) if after else 0)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def is_bilingual(message: str) -> bool:
    """Chinese first, then an English gloss in parentheses."""
    return bool(CJK.search(message)) and bool(re.search(r"\([^()]*[A-Za-z]{3,}.*\)$", message))


# -- repositories ------------------------------------------------------------------------------------------------

UNKNOWN_FIELD = helpers.claim_text("2014010002", bogus="1")
UNKNOWN_STUDENT = helpers.claim_text("2014019999")
GROUP_BAD_HOURS = (
    "activity: 志愿服务\ncategory: volunteering\ndate: 2014-10-12\nregistered: 2014-12-02\nevidence: 签到表 1\n"
    "participants:\n  - {student: 2014010001, hours: 12}\n  - {student: 2014010003, hours: abc}\n"
)
TAB = "activity: x\ncategory: clubs\nparticipants:\n\t- {student: 2014010003}\n"
SYNTAX = 'activity: "unterminated\ncategory: clubs\n'
WRONG_DEPT = helpers.claim_text("2014020001", activity="辩论社（2014-2015 学年）", evidence="证明 wrong-dept")


@pytest.fixture
def broken(tmp_path) -> Path:
    """A small repository with one valid claim and one planted problem per file, in two departments."""
    return helpers.make_repo(tmp_path, files={
        C + "ok.yaml": helpers.claim_text("2014010001"),
        C + "unknown-field.yaml": UNKNOWN_FIELD,
        C + "unknown-student.yaml": UNKNOWN_STUDENT,
        C + "group.yaml": GROUP_BAD_HOURS,
        C + "tab.yaml": TAB,
        C + "syntax.yaml": SYNTAX,
        C + "wrong-dept.yaml": WRONG_DEPT,
        L + "law-ok.yaml": helpers.claim_text("2014020001", evidence="证明 law-ok"),
        L + "law-unknown.yaml": helpers.claim_text("2014029999", evidence="证明 law-unknown"),
    })  # fmt: skip


# Where each planted problem must be reported, found in the text that was written rather than typed in.
EXPECTED = {
    (C + "unknown-field.yaml", *at(UNKNOWN_FIELD, "bogus", after="\n"), "DK201"),
    (C + "unknown-student.yaml", *at(UNKNOWN_STUDENT, "2014019999", after="student: "), "DK301"),
    (C + "group.yaml", *at(GROUP_BAD_HOURS, "abc"), "DK107"),
    (C + "tab.yaml", *at(TAB, "\t"), "DK103"),
    (C + "wrong-dept.yaml", *at(WRONG_DEPT, "2014020001", after="student: "), "DK302"),
    (
        L + "law-unknown.yaml",
        *at(helpers.claim_text("2014029999", evidence="证明 law-unknown"), "2014029999", after="student: "),
        "DK301",
    ),
}


@pytest.fixture(scope="session")
def small_school(tmp_path_factory) -> Path:
    """A generated school of 60 students (made once; tests copy it)."""
    out = tmp_path_factory.mktemp("small") / "school"
    run = dekt("demo-data", "--repo", MAIN, "--students", 60, "--seed", 1, out, cwd=out.parent)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture
def school(small_school, tmp_path) -> Path:
    dest = tmp_path / "school"
    shutil.copytree(small_school, dest)
    return dest


@pytest.fixture(scope="session")
def shipped(tmp_path_factory) -> Path:
    """A copy of the shipped demo school (rules, records, CODEOWNERS), so commands may write their cache."""
    dest = tmp_path_factory.mktemp("shipped") / "repo"
    for part in ("rules", "records", ".github"):
        if (MAIN / part).is_dir():
            shutil.copytree(MAIN / part, dest / part)
    return dest


# -- validate ----------------------------------------------------------------------------------------------------


def test_validate_clean_school_exits_0(school):
    run = dekt("validate", cwd=school)
    assert run.returncode == 0, run.stdout + run.stderr
    found = HUMAN.findall(run.stdout)
    assert all(code == "DK405" for *_, code, _ in found), "only cap warnings are expected in a generated school"
    assert "0 个错误" in run.stdout or "没有发现问题" in run.stdout


def test_validate_reports_every_problem_at_once_with_positions(broken):
    run = dekt("validate", cwd=broken)
    assert run.returncode == 1, run.stderr
    found = [m.groupdict() for m in HUMAN.finditer(run.stdout)]
    got = {(d["file"], int(d["line"]), int(d["col"]), d["code"]) for d in found}
    assert EXPECTED <= got
    assert any(d["file"] == C + "syntax.yaml" and d["code"] == "DK101" for d in found)
    assert not any(d["file"].endswith(("/ok.yaml", "/law-ok.yaml")) for d in found)
    for d in found:
        assert is_bilingual(d["msg"]), d["msg"]
    errors = sum(1 for line in run.stdout.splitlines() if HUMAN.match(line) and "错误 error" in line)
    assert f"{errors} 个错误" in run.stdout.splitlines()[-1]


def test_validate_json_lists_the_same_diagnostics(broken):
    human = dekt("validate", cwd=broken)
    run = dekt("validate", "--format", "json", cwd=broken)
    assert run.returncode == 1
    data = json.loads(run.stdout)
    assert isinstance(data, list) and data
    for d in data:
        assert set(d) == {"file", "line", "col", "code", "severity", "message"}
        assert isinstance(d["line"], int) and isinstance(d["col"], int) and d["line"] >= 1 and d["col"] >= 1
        assert re.fullmatch(r"DK\d{3}", d["code"]) and d["severity"] in ("error", "warning")
        assert is_bilingual(d["message"])
    as_human = [(m["file"], int(m["line"]), int(m["col"]), m["code"], m["msg"]) for m in HUMAN.finditer(human.stdout)]
    assert [(d["file"], d["line"], d["col"], d["code"], d["message"]) for d in data] == as_human


def test_validate_github_annotations_and_summary_file(broken, tmp_path):
    expected = json.loads(dekt("validate", "--format", "json", cwd=broken).stdout)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    run = dekt("validate", "--format", "github", "--summary", summary, cwd=broken)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, d in zip(lines, expected):
        m = ANNOTATION.match(line)
        assert m, line
        assert (m["kind"], m["file"], int(m["line"]), int(m["col"])) == (d["severity"], d["file"], d["line"], d["col"])
        assert m["msg"] == d["message"]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n"), "the summary is appended, not overwritten"
    for (code, severity), n in Counter((d["code"], d["severity"]) for d in expected).items():
        assert f"| {code} | {severity} | {n} |" in text
    # Each problem is a row: where, code, message. These paths hold no Markdown-special character (letters, digits,
    # "/", "-", "."), so the escaping that guards the table against outside text leaves them as they are.
    for d in expected:
        assert f"| {d['file']}:{d['line']}:{d['col']} | {d['code']} |" in text


def test_validate_github_appends_to_step_summary_from_environment(broken, tmp_path):
    summary = tmp_path / "step-summary.md"
    summary.write_text("# job\n", encoding="utf-8")
    run = dekt("validate", "--format", "github", cwd=broken, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 1
    assert all(ANNOTATION.match(line) for line in run.stdout.splitlines())
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# job\n") and "## dekt validate" in text and "| DK201 | error | 1 |" in text


def test_validate_github_without_summary_target_prints_the_table(school):
    run = dekt("validate", "--format", "github", cwd=school)
    assert run.returncode == 0
    assert "## dekt validate" in run.stdout
    assert not any(line.startswith("::error") for line in run.stdout.splitlines())


def test_validate_github_escapes_commas_in_file_names(tmp_path):
    repo = helpers.make_repo(tmp_path, files={C + "a,b.yaml": UNKNOWN_FIELD})
    run = dekt("validate", "--format", "github", "--summary", tmp_path / "s.md", cwd=repo)
    assert run.returncode == 1
    (line,) = [line for line in run.stdout.splitlines() if "DK201" in line]
    assert ANNOTATION.match(line)["file"] == C + "a%2Cb.yaml"


def test_validate_paths_restrict_the_report(broken, tmp_path):
    one = dekt("validate", "--format", "json", C + "unknown-field.yaml", cwd=broken)
    assert one.returncode == 1
    assert {(d["file"], d["code"]) for d in json.loads(one.stdout)} == {(C + "unknown-field.yaml", "DK201")}

    folder = json.loads(dekt("validate", "--format", "json", L, cwd=broken).stdout)
    assert folder and all(d["file"].startswith(L) for d in folder)
    assert {d["file"] for d in folder} == {L + "law-unknown.yaml"}

    clean = dekt("validate", C + "ok.yaml", L + "law-ok.yaml", cwd=broken)
    assert clean.returncode == 0, "problems elsewhere are not shown and do not fail a restricted run"

    # From another folder, with --repo and an absolute path.
    elsewhere = dekt("validate", "--repo", broken, "--format", "json", broken / C / "group.yaml", cwd=tmp_path)
    assert {(d["file"], d["code"]) for d in json.loads(elsewhere.stdout)} == {(C + "group.yaml", "DK107")}


def test_validate_path_that_does_not_exist_is_a_usage_error(broken):
    # A mistyped path must not turn a failing check into a green one.
    run = dekt("validate", "records/claim/2014-2015", cwd=broken)
    assert run.returncode == 2, run.stdout


def test_validate_with_repo_matches_running_inside(broken, tmp_path):
    inside = dekt("validate", "--format", "json", cwd=broken)
    outside = dekt("validate", "--format", "json", "--repo", broken, cwd=tmp_path)
    assert outside.returncode == inside.returncode == 1
    assert json.loads(outside.stdout) == json.loads(inside.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--bogus"],
        ["validate", "--format", "xml"],
        ["frobnicate"],
        [],
        ["ledger"],
        ["demo-data", "--students", "many", "out"],
    ],
    ids=["unknown-option", "unknown-format", "unknown-command", "no-command", "missing-argument", "bad-number"],
)
def test_usage_errors_exit_2(args, school):
    run = dekt(*args, cwd=school)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "usage" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "command", [["validate"], ["ledger", "2014010001"], ["build"], ["schema"], ["import-roster", "x.csv"]]
)
def test_repo_without_rules_exits_2(command, tmp_path):
    folder = tmp_path / "not-a-repo"
    (folder / "records").mkdir(parents=True)
    run = dekt(*command, "--repo", folder, cwd=tmp_path)
    assert run.returncode == 2
    assert "rules/" in run.stderr and "Traceback" not in run.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["records"], (
        "nothing written into a folder that is not a repository"
    )


def test_missing_field_a_category_needs_is_a_diagnostic_not_a_crash(tmp_path):
    text = "activity: 志愿服务\ncategory: volunteering\ndate: 2014-10-12\nregistered: 2014-12-02\nstudent: 2014010001\n"
    repo = helpers.make_repo(tmp_path, files={C + "no-hours.yaml": text})
    run = dekt("validate", "--format", "json", cwd=repo)
    assert run.returncode == 1, run.stderr
    assert [(d["file"], d["code"]) for d in json.loads(run.stdout)] == [(C + "no-hours.yaml", "DK310")]


def test_broken_rules_are_problems_not_a_crash(school):
    (school / "rules" / "credits" / "2014-2015.yaml").write_text("since: 2014-2015\nbogus: [\n", encoding="utf-8")
    run = dekt("validate", "--format", "json", cwd=school)
    assert run.returncode == 1, run.stderr
    assert any(d["file"] == "rules/credits/2014-2015.yaml" for d in json.loads(run.stdout))


# -- ledger ------------------------------------------------------------------------------------------------------


def _rules_versions(root: Path) -> list[dict]:
    return sorted(
        (yaml.safe_load(p.read_text(encoding="utf-8")) for p in (root / "rules/credits").glob("*.yaml")),
        key=lambda v: v["since"],
    )


def _claims_of(root: Path, student: str) -> list[tuple[str, str, str | None]]:
    """(file, activity, course) of every claim of ``student``, read with PyYAML, independently of dekt."""
    out = []
    for path in sorted((root / "records/claims").rglob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CBaseLoader)  # every scalar as text
        rel = path.relative_to(root).as_posix()
        people = doc.get("participants") or [{"student": doc.get("student")}]
        for p in people:
            if p["student"] == student:
                out.append((rel, doc["activity"], p.get("course") or doc.get("course")))
    return out


@pytest.fixture(scope="session")
def ledger_students(shipped) -> dict[str, str]:
    """Students of the shipped demo chosen by computing: one over the research cap, one missing a 团校 course."""
    checked = check_repository(shipped, use_cache=False)
    assert checked.ok
    capped = sorted(
        sid for sid, l in checked.ledgers.items() if any(i.excluded_by == "research_total" for i in l.excluded)
    )
    missing = sorted(sid for sid, l in checked.ledgers.items() if any(c.required_missing for c in l.completions))
    assert capped and missing
    return {"over-research-cap": capped[0], "missing-required-course": missing[0]}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["over-research-cap", "missing-required-course"])
def test_ledger_json_accounts_for_every_claim(kind, ledger_students, shipped):
    sid = ledger_students[kind]
    run = dekt("ledger", sid, "--format", "json", cwd=shipped)
    assert run.returncode == 0, run.stderr
    led = json.loads(run.stdout)
    roster = {
        r["id"]: r for r in csv.DictReader(io.StringIO((shipped / "records/students.csv").read_text(encoding="utf-8")))
    }
    assert led["student"]["id"] == sid and led["student"]["name"] == roster[sid]["name"]

    # Every claim of the student is on the ledger, once.
    claims = _claims_of(shipped, sid)
    assert Counter((i["file"], i["activity"]) for i in led["items"]) == Counter((f, a) for f, a, _ in claims)
    for item in led["items"]:
        assert re.fullmatch(r"\d+(\.\d+)?", item["credits"]) and item["rule"] and CJK.search(item["rule"])

    # The rules of the student's cohort, read from the YAML files: rules/school.yaml says which version governs a
    # cohort's study period — the one in force in its first academic year (entry_year) or in its fourth (final_year).
    versions = _rules_versions(shipped)
    governing = yaml.safe_load((shipped / "rules/school.yaml").read_text(encoding="utf-8"))["versions"]["study_period"]
    start = int(roster[sid]["enrollment_year"]) + (3 if governing == "final_year" else 0)
    cohort = [v for v in versions if v["since"] <= f"{start}-{start + 1}"][-1]
    assert led["rules_since"] == cohort["since"]
    cap_names = {cid: cap["name"] for v in versions for cid, cap in v["caps"].items()}
    for item in led["items"]:
        if not item["counted"]:
            assert item["excluded_by"] in cap_names and cap_names[item["excluded_by"]] in item["excluded_why"]
            assert "未计入" in item["excluded_why"]
        else:
            assert item["excluded_by"] is None and item["excluded_why"] is None

    # Study-period caps hold, and each excluded item really would have passed its cap.
    for cid, cap in cohort["caps"].items():
        if cap["scope"] != "study_period":
            continue
        inside = [
            i
            for i in led["items"]
            if (i["module"] == cap["module"] if "module" in cap else i["category"] == cap["category"])
        ]
        counted = sum(Decimal(i["credits"]) for i in inside if i["counted"])
        assert counted <= Decimal(str(cap["max"]))
        for i in inside:
            if i["excluded_by"] == cid:
                assert counted + Decimal(i["credits"]) > Decimal(str(cap["max"]))
    if kind == "over-research-cap":
        assert any(i["excluded_by"] == "research_total" for i in led["items"])

    # 团校: required courses done and missing, elective points, from the claims themselves.
    courses = {c for _, _, c in claims if c}
    for comp in led["completions"]:
        rule = cohort["completions"][comp["id"]]
        assert sorted(comp["required_done"] + comp["required_missing"]) == sorted(rule["required"])
        assert comp["required_missing"] == [k for k in rule["required"] if k not in courses]
        assert set(comp["required_done"]) == courses & set(rule["required"])
        points = sum((Decimal(str(e["points"])) for k, e in rule["electives"].items() if k in courses), Decimal(0))
        assert Decimal(comp["elective_points"]) == points
        assert comp["complete"] == (
            not comp["required_missing"] and points >= Decimal(str(rule["min_elective_points"]))
        )
    if kind == "missing-required-course":
        assert any(c["required_missing"] and not c["complete"] for c in led["completions"])

    # Module totals, graduation requirements and the total.
    module_of_completion = {
        c["id"]: cohort["categories"][cohort["completions"][c["id"]]["category"]]["module"] for c in led["completions"]
    }
    for m in led["modules"]:
        expected = sum(
            (Decimal(i["credits"]) for i in led["items"] if i["counted"] and i["module"] == m["id"]), Decimal(0)
        )
        expected += sum(
            (
                Decimal(c["credits"])
                for c in led["completions"]
                if c["complete"] and module_of_completion[c["id"]] == m["id"]
            ),
            Decimal(0),
        )
        assert Decimal(m["credits"]) == expected, m
        assert Decimal(m["required"]) == Decimal(str(cohort["graduation"]["modules"].get(m["id"], 0)))
        assert m["met"] == (Decimal(m["credits"]) >= Decimal(m["required"]))
    assert Decimal(led["total"]) == sum(Decimal(m["credits"]) for m in led["modules"])
    # The pilot sets no minimum total (only the innovation module's); a school may add one as graduation.total.
    assert Decimal(led["total_required"]) == Decimal(str(cohort["graduation"].get("total", 0)))
    assert led["graduation_met"] == (
        all(m["met"] for m in led["modules"]) and Decimal(led["total"]) >= Decimal(led["total_required"])
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["over-research-cap", "missing-required-course"])
def test_ledger_text_says_it_in_words(kind, ledger_students, shipped):
    sid = ledger_students[kind]
    led = json.loads(dekt("ledger", sid, "--format", "json", cwd=shipped).stdout)
    run = dekt("ledger", sid, cwd=shipped)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert led["student"]["name"] in text and sid in text
    for m in led["modules"]:
        assert m["name"] in text
    for item in led["items"]:
        assert item["activity"] in text and item["rule"] in text and f"{item['file']}:{item['line']}" in text
    assert text.count("未计入 not counted") == sum(1 for i in led["items"] if not i["counted"])
    assert "团校结业" in text
    assert ("缺少必修" in text) == any(c["required_missing"] for c in led["completions"])
    assert text.rstrip().splitlines()[-1].endswith("全部达到 met" if led["graduation_met"] else "尚未达到 not yet met")


@pytest.mark.slow
def test_ledger_unknown_student_exits_2(shipped):
    run = dekt("ledger", "1999999999", cwd=shipped)
    assert run.returncode == 2 and "1999999999" in run.stderr and "Traceback" not in run.stderr


def test_ledger_shows_the_problems_of_the_students_files(tmp_path):
    repo = helpers.make_repo(tmp_path, files={
        C + "ok.yaml": helpers.claim_text("2014010001"),
        C + "late.yaml": helpers.claim_text("2014010001", activity="辩论社", registered="2016-12-01",
                                            evidence="证明 late"),
    })  # fmt: skip
    run = dekt("ledger", "2014010001", "--format", "json", cwd=repo)
    assert run.returncode == 1
    assert [i["file"] for i in json.loads(run.stdout)["items"]] == [C + "ok.yaml"]
    assert C + "late.yaml" in run.stderr and "DK404" in run.stderr


# -- build -------------------------------------------------------------------------------------------------------


def test_build_writes_ledgers_and_prints_the_summary(school):
    run = dekt("build", cwd=school)
    assert run.returncode == 0, run.stderr
    out = school / "_build" / "private" / "ledgers.json"
    ledgers = json.loads(out.read_text(encoding="utf-8"))
    roster = list(csv.DictReader(io.StringIO((school / "records/students.csv").read_text(encoding="utf-8"))))
    assert set(ledgers) == {r["id"] for r in roster}
    files = sorted((school / "records/claims").rglob("*.yaml"))
    claims = 0
    for path in files:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CBaseLoader)
        claims += len(doc["participants"]) if "participants" in doc else 1
    assert f"{len(roster)} 名学生，{len(files)} 个申报文件，{claims} 条申报" in run.stdout
    met = sum(1 for led in ledgers.values() if led["graduation_met"])
    assert f"meeting graduation requirements: {met} / {len(roster)}" in run.stdout
    assert str(out.parent) in run.stdout
    assert not list((school / "_build").rglob("*.tmp"))
    # The same ledgers the ledger command shows.
    sid = sorted(ledgers)[len(ledgers) // 2]
    assert json.loads(dekt("ledger", sid, "--format", "json", cwd=school).stdout) == ledgers[sid]


@pytest.mark.slow
def test_build_is_reproducible_with_and_without_cache(school, tmp_path):
    assert dekt("build", "--out", tmp_path / "a", cwd=school).returncode == 0
    assert dekt("build", "--out", tmp_path / "b", cwd=school).returncode == 0
    assert dekt("build", "--no-cache", "--out", tmp_path / "c", cwd=school).returncode == 0
    a, b, c = (tree(tmp_path / x) for x in "abc")
    assert a == b == c
    assert "private/ledgers.json" in a and "site/index.html" in a and "site/verify/index.json" in a
    # The site's work folder and the stage are gone; beside the outputs only dekt's marker (this folder is dekt's
    # to replace) and the lock file that keeps a second build out.
    assert {p.split("/")[0] for p in a} == {"private", "site", ".dekt-build", ".dekt-build.lock"}


def test_build_gives_every_student_on_the_roster_a_ledger(tmp_path):
    # One ledger per student: a student without claims still needs one (0 credits, graduation not met).
    repo = helpers.make_repo(tmp_path, files={C + "ok.yaml": helpers.claim_text("2014010001")})
    run = dekt("build", cwd=repo)
    assert run.returncode == 0, run.stderr
    ledgers = json.loads((repo / "_build/private/ledgers.json").read_text(encoding="utf-8"))
    assert set(ledgers) == {row[0] for row in helpers.ROSTER}
    assert ledgers["2014010002"]["total"] == "0" or Decimal(ledgers["2014010002"]["total"]) == 0
    assert ledgers["2014010002"]["graduation_met"] is False


def test_build_with_an_error_writes_nothing(school, tmp_path):
    bad = school / C / "bad.yaml"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text(UNKNOWN_FIELD, encoding="utf-8")
    run = dekt("build", cwd=school)
    assert run.returncode == 1
    assert f"{C}bad.yaml:{':'.join(map(str, at(UNKNOWN_FIELD, 'bogus')))}: 错误 error DK201" in run.stderr
    assert "nothing was written" in run.stderr
    assert not (school / "_build").exists()

    # An earlier good build is left exactly as it was, not half replaced.
    bad.unlink()
    assert dekt("build", "--out", tmp_path / "out", cwd=school).returncode == 0
    before = tree(tmp_path / "out")
    bad.write_text(UNKNOWN_FIELD, encoding="utf-8")
    assert dekt("build", "--out", tmp_path / "out", cwd=school).returncode == 1
    assert tree(tmp_path / "out") == before


# -- schema ------------------------------------------------------------------------------------------------------


def test_schema_writes_into_rules_schema_by_default(school, tmp_path):
    shutil.rmtree(school / "rules" / "schema", ignore_errors=True)
    run = dekt("schema", cwd=school)
    assert run.returncode == 0, run.stderr
    written = tree(school / "rules" / "schema")
    assert written == tree(MAIN / "rules" / "schema")
    assert {Path(line).name for line in run.stdout.split()} == set(written)
    other = dekt("schema", "--out", tmp_path / "elsewhere", "--repo", school, cwd=tmp_path)
    assert other.returncode == 0 and tree(tmp_path / "elsewhere") == written


# -- import-roster -----------------------------------------------------------------------------------------------

EXPORT_HEADER = "学号,姓名,院系,班级,年级,学籍状态"


def _department_ids(root: Path) -> dict[str, str]:
    school = yaml.safe_load((root / "rules/school.yaml").read_text(encoding="utf-8"))
    return {d["name"]: key for key, d in school["departments"].items()}


def _export(rows: list[str], encoding: str) -> bytes:
    return ("\r\n".join([EXPORT_HEADER, *rows]) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_import_roster_from_an_academic_system_export(encoding, tmp_path):
    repo = helpers.make_repo(tmp_path)
    names = ["王堃", "李喆", "张彧", "赵珺", "陈龑"] + (["吉𠮷"] if encoding != "gbk" else [])
    depts = list(_department_ids(repo).items())
    statuses = ["在读", "毕业", "休学", "退学"]
    rows, expected = [], []
    for i, name in enumerate(names):
        dept_name, dept_id = depts[i % len(depts)]
        year = 2012 + i % 4
        sid = f"{year}{i + 1:02d}{i + 1:04d}"
        grade = f"{year}级" if i % 2 else str(year)
        rows.append(f"{sid},{name},{dept_name},{dept_name[:2]}{year}级1班,{grade},{statuses[i % 4]}")
        expected.append(
            [
                sid,
                name,
                dept_id,
                f"{dept_name[:2]}{year}级1班",
                str(year),
                ["enrolled", "graduated", "suspended", "withdrawn"][i % 4],
            ]
        )
    export = tmp_path / "教务系统导出.csv"
    export.write_bytes(_export(rows[::-1], encoding))
    if encoding != "utf-8-sig":
        with pytest.raises(UnicodeDecodeError):
            export.read_bytes().decode("utf-8")  # really not UTF-8: the GBK path is what is tested
    run = dekt("import-roster", export, cwd=repo)
    assert run.returncode == 0, run.stderr
    assert f"{len(names)}" in run.stdout
    got = list(csv.reader(io.StringIO((repo / "records/students.csv").read_text(encoding="utf-8"))))
    assert got[0] == ["id", "name", "department", "class", "enrollment_year", "status"]
    assert got[1:] == sorted(expected)
    assert dekt("validate", cwd=repo).returncode == 0


def test_import_roster_bad_rows_report_row_numbers_and_change_nothing(tmp_path):
    repo = helpers.make_repo(tmp_path)
    before = (repo / "records/students.csv").read_bytes()
    rows = [
        "2015010001,王堃,海关管理系,海关2015级1班,2015,在读",  # row 2: fine
        "2015010002,李喆,火星系,火星2015级1班,2015,在读",  # row 3: unknown department
        "20-15,张彧,法律系,法律2015级1班,2015,在读",  # row 4: bad id
        "2015010001,赵珺,法律系,法律2015级1班,2015,在读",  # row 5: duplicate id
        "2015010005,陈龑,法律系,法律2015级1班,二〇一五,在读",  # row 6: bad year
        "2015010006,周杰,法律系,法律2015级1班,2015,放假",  # row 7: unknown status
    ]
    export = tmp_path / "export.csv"
    export.write_bytes(_export(rows, "gbk"))
    run = dekt("import-roster", export, cwd=repo)
    assert run.returncode == 1
    found = {(int(m["line"]), m["code"]) for m in HUMAN.finditer(run.stderr)}
    assert found == {(3, "DK604"), (4, "DK601"), (5, "DK602"), (6, "DK601"), (7, "DK601")}
    for m in HUMAN.finditer(run.stderr):
        assert f"第 {m['line']} 行" in m["msg"] or m["code"] == "DK602"
        assert is_bilingual(m["msg"])
    assert (repo / "records/students.csv").read_bytes() == before


def test_import_roster_missing_columns(tmp_path):
    repo = helpers.make_repo(tmp_path)
    export = tmp_path / "export.csv"
    export.write_bytes("学号,姓名\n2015010001,王堃\n".encode("gbk"))
    run = dekt("import-roster", export, cwd=repo)
    assert run.returncode == 1 and "DK603" in run.stderr


def test_import_roster_missing_file_is_a_clear_error(tmp_path):
    repo = helpers.make_repo(tmp_path)
    run = dekt("import-roster", tmp_path / "no-such-export.csv", cwd=repo)
    assert run.returncode == 2
    assert "no-such-export.csv" in run.stderr and "Traceback" not in run.stderr


# -- help and README ---------------------------------------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_an_example_and_is_documented(name):
    run = dekt(name, "--help", cwd=MAIN)
    assert run.returncode == 0
    match = re.search(rf"(?:例|example:?)\s.*?(dekt {re.escape(name)}\b[^\n(（>|;&]*)", run.stdout)
    assert match, f"`dekt {name} --help` shows no example"
    example = shlex.split(match.group(1).strip())[1:]
    parser().parse_args(example)  # the example (up to a comment or shell redirection) is a command line that parses
    readme = (MAIN / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`dekt {re.escape(name)}\b", readme), f"`dekt {name}` is not documented in README.md"
