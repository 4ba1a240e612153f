"""Spreadsheets in: the corpus of real-shaped sheets gives exactly its cells and codes, and what is left validates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import helpers
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus" / "sheets"))
import make
from dekt.check import check_repository
from dekt.diagnostics import Severity
from dekt.sheets.report import where

DEKT = str(Path(sys.executable).parent / "dekt")
ROSTER = helpers.ROSTER + (make.ZERO_STUDENT,)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheets")
    return out, make.make(out)


def dekt(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DEKT, *args], cwd=root, capture_output=True, text=True, check=False)


def _options(options: dict) -> list[str]:
    return [x for k, v in options.items() for x in (f"--{k}", v)]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "records").rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", [c.name for c in make.CASES])
def test_each_sheet_reports_exactly_its_cells_and_writes_nothing(corpus, repo_factory, name):
    out, table = corpus
    case = table[name]
    root = repo_factory(roster_rows=ROSTER)
    before = _tree(root)
    result = dekt(root, "import-claims", str(out / name), "--format", "json", *_options(case["options"]))
    import json

    found = json.loads(result.stdout)[0]["diagnostics"]
    got = {(d["cell"], d["code"]) for d in found if "!" in d["cell"]}
    files = [d["code"] for d in found if "!" not in d["cell"]]
    assert got == case["expected"], result.stdout
    assert files == case["file"]
    assert all(d["message"].count("(") >= 1 for d in found)  # Chinese, then the English gloss in brackets
    has_error = any(code not in make.WARNINGS for _, code in case["expected"]) or case["file"] or not case["claims"]
    assert result.returncode == (1 if has_error else 0)
    assert _tree(root) == before  # with an error nothing is written


@pytest.mark.parametrize("name", [c.name for c in make.CASES if c.fmt != "text" and c.name != "no_header.xlsx"])
def test_the_rows_without_errors_become_claims_that_validate(corpus, repo_factory, name):
    out, table = corpus
    case = table[name]
    root = repo_factory(roster_rows=ROSTER)
    sheet = out / "fixed" / name
    result = dekt(root, "import-claims", str(sheet), *_options(case["options"]))
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted((root / "records" / "claims").rglob("*.yaml"))
    assert written
    checked = check_repository(root, use_cache=False)
    errors = [d for d in checked.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    # one entry per data row kept, and the sheet's SHA-256 in every file's evidence
    import hashlib

    assert len(checked.records.entries) == case["claims"]
    digest = hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert all(digest in p.read_text(encoding="utf-8") for p in written)
    # the warnings of the kept rows, at their (new) cells, and nothing else
    again = dekt(root, "import-claims", str(sheet), "--check", "--format", "json", *_options(case["options"]))
    import json

    cells = {(d["cell"], d["code"]) for d in json.loads(again.stdout)[0]["diagnostics"]}
    assert cells == case["fixed"]
    # importing the same file again changes nothing, even on another registration day
    before = _tree(root)
    opts = {**case["options"], "registered": "2015-09-01"} if "registered" in case["options"] else case["options"]
    assert dekt(root, "import-claims", str(sheet), *_options(opts)).returncode == 0
    assert _tree(root) == before


def test_one_sheet_backing_many_activities_is_not_evidence_reused(repo_factory, tmp_path):
    # Two activities from one sheet share its SHA-256; validation's DK402 must not call that evidence reused.
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["学号", "姓名", "活动名称", "日期", "时长"])
    ws.append(["2014010001", "张三", "敬老院关爱行动", "2014-10-12", 8])
    ws.append(["2014010002", "李四", "图书馆整理", "2014-10-13", 8])
    ws.append(["2014010003", "王五", "社区义诊", "2014-10-14", 8])
    book.save(tmp_path / "many.xlsx")
    root = repo_factory(roster_rows=ROSTER)
    assert dekt(root, "import-claims", str(tmp_path / "many.xlsx"), "--registered", "2014-12-02").returncode == 0
    assert len(list((root / "records" / "claims").rglob("*.yaml"))) == 3
    assert not [d for d in check_repository(root, use_cache=False).diagnostics if d.code == "DK402"]


def test_a_row_already_archived_is_refused(repo_factory, tmp_path):
    from openpyxl import Workbook

    archived = helpers.claim_text("2014010001", category="volunteering", activity="敬老院关爱行动", date="2014-10-12",
                                  role=None, hours="8", evidence="签到表 DH-1")  # fmt: skip
    root = repo_factory(roster_rows=ROSTER, files={"records/claims/2014-2015/customs/old.yaml": archived})
    book = Workbook()
    ws = book.active
    ws.append(["学号", "姓名", "活动名称", "日期", "时长"])
    ws.append(["2014010001", "张三", "敬老院 关爱行动", "2014-10-12", 8])  # spacing differs: still the same activity
    book.save(tmp_path / "again.xlsx")
    result = dekt(root, "import-claims", str(tmp_path / "again.xlsx"), "--registered", "2014-12-02")
    assert result.returncode == 1
    assert "again.xlsx!Sheet!A2: 错误 error DK813" in result.stdout
    assert "records/claims/2014-2015/customs/old.yaml" in result.stdout


def test_template_is_made_from_the_rules_and_imports_back(repo_factory, tmp_path):
    from dekt.rules import load_rules
    from dekt.sheets import catalog
    from openpyxl import load_workbook

    root = repo_factory(roster_rows=ROSTER)
    path = tmp_path / "模板.xlsx"
    assert dekt(root, "template", "--year", "2014-2015", "--dept", "customs", "-o", str(path)).returncode == 0
    book = load_workbook(path)
    rules = load_rules(root)[0]
    v = rules.version_for("2014-2015").rules
    assert book.sheetnames[0] == "说明" and book["_lists"].sheet_state == "hidden"
    hours = book["时长类"]
    assert [c.value for c in hours[1]][:6] == ["学号", "姓名", "班级", "活动名称", "类别", "活动日期"]
    assert hours["A2"].number_format == "@"  # ids typed as text never become 2.01401E+09
    # the category drop-down of the hours sheet lists exactly the hour-scored categories of the rules in force
    lists = {col[0].value: [c.value for c in col[1:] if c.value] for col in book["_lists"].iter_cols()}
    assert lists["category_hours"] == [v.categories[c].name for c in v.categories if v.categories[c].scoring == "hours"]
    assert lists["course"] == list(catalog.courses(v).values())
    refs = {str(dv.sqref): dv.formula1 for dv in hours.data_validations.dataValidation}
    assert refs == {"E2:E1001": f"'_lists'!$D$2:$D${1 + len(lists['category_hours'])}"} or "E2:E1001" in refs
    # filled in as a secretary would, with the drop-down's names, it imports with no mapping
    hours.append(
        ["2014010001", "张三", "海关管理2014级1班", "敬老院关爱行动", lists["category_hours"][0], "2014-10-12", 8]
    )
    league = book["团校"]
    league.append(["2014010002", "李四", "海关管理2014级1班", lists["course"][0], "2014-09-12"])
    book.save(path)
    result = dekt(root, "import-claims", str(path), "--registered", "2014-12-02")
    assert result.returncode == 0, result.stdout
    assert not [d for d in check_repository(root, use_cache=False).diagnostics if d.severity is Severity.ERROR]


def test_signin_sheet_columns_are_the_templates_and_a_filled_one_imports(repo_factory, tmp_path):
    from openpyxl import load_workbook

    root = repo_factory(roster_rows=ROSTER)
    path = tmp_path / "签到表.xlsx"
    result = dekt(
        root,
        "signin-sheet",
        "--activity",
        "敬老院关爱行动",
        "--class",
        "海关管理2014级1班",
        "--date",
        "2014-10-12",
        "-o",
        str(path),
    )
    assert result.returncode == 0, result.stderr
    book = load_workbook(path)
    sheet = book.active
    assert [c.value for c in sheet[3]] == ["学号", "姓名", "班级", "活动名称", "活动日期", "时长（小时）", "签名"]
    ids = [sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)]
    assert ids == ["2014010001", "2014010002", "2014010003"]  # the enrolled students of that class, by id
    sheet["F4"], sheet["G4"] = 8, "张三"  # came and signed
    sheet["F6"], sheet["G6"] = "4小时", "王五"
    book.save(path)  # 李四 did not come: no hours, no signature, no claim
    result = dekt(root, "import-claims", str(path), "--registered", "2014-12-02")
    assert result.returncode == 0, result.stdout
    texts = [p.read_text(encoding="utf-8") for p in (root / "records" / "claims").rglob("*.yaml")]
    assert len(texts) == 1 and "2014010001" in texts[0] and "2014010003" in texts[0] and "2014010002" not in texts[0]


def test_signin_sheet_pdf_lists_the_students(repo_factory, tmp_path):
    root = repo_factory(roster_rows=ROSTER)
    path = tmp_path / "签到表.pdf"
    assert dekt(root, "signin-sheet", "--activity", "<b>诗词</b>大会", "--dept", "law", "-o", str(path)).returncode == 0
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "2014020001" in text and "周九" in text and "时长（小时）" in text and "<b>诗词</b>大会" in text
    assert "2014010001" not in text  # customs students are not on the law sheet


def test_markdown_summary_keeps_sheet_text_inert(corpus, repo_factory, tmp_path):
    from dekt.sheets.report import md

    assert md("![x](http://evil.example/a.png) @someone | <script>") == (
        "\\!\\[x\\]\\(http:\u200b//evil.example/a.png\\) @\u200bsomeone \\| \\<script\\>"
    )
    out, _ = corpus
    root = repo_factory(roster_rows=ROSTER)
    summary = tmp_path / "s.md"
    dekt(root, "import-claims", str(out / "volunteer_wps.xlsx"), "--check", "--summary", str(summary))
    text = summary.read_text(encoding="utf-8")
    assert "volunteer\\_wps.xlsx\\!Sheet1\\!B6 | DK805" in text or "B6 | DK805" in text


def test_where_names_the_cell():
    from dekt.diagnostics import diag

    assert where(diag("DK805", "签到表.xlsx!Sheet1", 12, 2, value="x")) == "签到表.xlsx!Sheet1!B12"
    assert where(diag("DK801", "notes.txt", detail="x")) == "notes.txt"


def test_cli_lists_the_sheet_commands():
    result = subprocess.run([DEKT, "--help"], capture_output=True, text=True, check=False)
    assert all(c in result.stdout for c in ("import-claims", "template", "signin-sheet"))


def test_corpus_script_runs_standalone(tmp_path):
    script = Path(__file__).resolve().parent / "corpus" / "sheets" / "make.py"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "c")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "volunteer_wps.xlsx" in result.stdout
    shutil.rmtree(tmp_path / "c")
