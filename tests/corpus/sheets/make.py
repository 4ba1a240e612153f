"""Make the spreadsheet corpus: real-shaped sheets as secretaries keep them, each with the cells and codes it must give.

Run as ``python tests/corpus/sheets/make.py OUT_DIR`` to look at the files; the tests call ``make(out)``.

Every case is one table written in one format. A row carries what it must produce, as (header, code) pairs, decided by
hand from the rules and the roster of ``tests/helpers.py`` (the reason is in the comment beside the row). ``make``
writes the case twice: as is, and "fixed" — the rows with an error left out — which must import with only the
warnings of the rows kept and then pass ``dekt validate``.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

WARNINGS = {"DK804", "DK806", "DK808", "DK814"}  # the codes the catalogue marks as warnings

# The extra student whose id starts with 0: a number column drops the zero (914010001), the importer restores it.
ZERO_STUDENT = ("0914010001", "郑一", "customs", "海关管理2014级2班", "2014", "enrolled")

BLANK = "blank"
BANNER = "banner"


@dataclass
class Case:
    """One sheet: its title, where its header is, its rows and what each must produce, and the import options."""

    name: str
    fmt: str  # xlsx, wps, xls, ods, csv-bom, csv-gbk, text
    header: list[str]
    rows: list  # (values, [(header, code)…]) | (BLANK,) | (BANNER, text, [(header, code)])
    title: str | None = None
    header_row: int = 1  # 1-based
    options: dict = field(default_factory=dict)
    sheet: str = "Sheet1"
    file_expect: list = field(default_factory=list)  # codes about the whole file (no cell)


V = ["序号", "学号", "姓名", "活动名称", "日期", "时长"]
CASES = [
    Case(
        "volunteer_wps.xlsx",
        "wps",
        V,
        title="2014年秋季敬老院志愿服务签到表",
        header_row=3,
        options={"registered": "2014-12-02"},
        rows=[
            ([1, 2014010001, "张三", "敬老院关爱行动", date(2014, 10, 12), 8], []),
            # An id typed as a number, read as the float 2014010002.0: exact, no note. Serial 41924 is 2014-10-12.
            ([2, 2014010002.0, "李四", "敬老院关爱行动", 41924, "3小时"], [("时长", "DK808")]),
            # "2.01401E+09" keeps six digits of ten: digits were lost.
            ([3, "2.01401E+09", "王五", "敬老院关爱行动", date(2014, 10, 12), 4], [("学号", "DK805")]),
            (BLANK,),
            # 2014010003 is 王五 in the roster: the name says the id was mistyped.
            ([4, 2014010003, "王六", "敬老院关爱行动", date(2014, 10, 12), 4], [("学号", "DK807")]),
            (BANNER, "第二批", [("学号", "DK814")]),
            ([5, 2013010001, "赵六", "敬老院关爱行动", date(2014, 10, 12), "三小时"], [("时长", "DK809")]),
            ([6, 2099010001, "无名", "敬老院关爱行动", date(2014, 10, 12), 2], [("学号", "DK301")]),
            # The same student and activity as the first row.
            ([7, "2014010001", "张三", "敬老院关爱行动", "2014-10-12", 2], [("学号", "DK812")]),
            # A leading zero dropped by a number column, restored from the roster.
            ([8, 914010001, "郑一", "敬老院关爱行动", date(2014, 10, 12), 6], [("学号", "DK806")]),
        ],
    ),
    Case(
        "awards.xls",
        "xls",
        ["学号", "姓名", "项目名称", "类别", "获奖日期", "级别", "获奖等级", "角色", "名次", "证明材料"],
        title="2014-2015学年文体活动与社团汇总",
        header_row=2,
        options={"registered": "2015-06-02"},
        rows=[
            # 2015-04-10 is in 2014-2015-2, registered 2015-06-02 inside its window 06-01…09-30.
            (
                ["2014010001", "张三", "校园歌手大赛", "文体活动", "2015年4月10日", "校级", "二等奖", "", "", "ZS-001"],
                [],
            ),
            (
                [
                    "2014010002.0",
                    "李四",
                    "校园歌手大赛",
                    "文体活动",
                    "2015年4月10日",
                    "校级",
                    "一等奖",
                    "",
                    "",
                    "ZS-002",
                ],
                [],
            ),
            # 市级 is no level of the rules.
            (
                ["2014010003", "王五", "市大学生辩论赛", "文体活动", "2015-04-12", "市级", "一等奖", "", "", "ZS-003"],
                [("级别", "DK816")],
            ),
            # Certificate ZS-001 is the first row's.
            (
                ["2013010001", "赵六", "书法比赛", "文体活动", "2015-04-20", "校级", "参与", "", "", "ZS-001"],
                [("证明材料", "DK402")],
            ),
            # A club's leader, 名次 1: the leader's rank, which claim files leave unsaid.
            (
                [
                    "2013010001",
                    "赵六",
                    "摄影协会（2014-2015 学年）",
                    "社团兴趣培养",
                    "2015-03-01",
                    "",
                    "",
                    "负责人",
                    1,
                    "",
                ],
                [],
            ),
        ],
    ),
    Case(
        "league.ods",
        "ods",
        ["学号", "姓名", "课程", "日期"],
        title="团校2014级考勤",
        header_row=3,
        sheet="签到",
        options={"registered": "2014-12-02", "year": "2014-2015"},
        rows=[
            (["2014010001", "张三", "团的基本知识", date(2014, 9, 12)], []),
            ([2014010002, "李四", "r01", date(2014, 9, 12)], []),
            # 团课 is no course of the rules.
            ([2014010003, "王五", "团课", date(2014, 9, 12)], [("课程", "DK816")]),
            # --year 2014-2015, and 2014-06-30 is in 2013-2014, before 王五 (2014 cohort) enrolled.
            ([2014010003, "王五", "团史与光荣传统", date(2014, 6, 30)], [("日期", "DK811"), ("日期", "DK309")]),
        ],
    ),
    Case(
        "hours_bom.csv",
        "csv-bom",
        ["学号", "姓名", "活动名称", "服务日期", "志愿时长"],
        sheet="hours_bom",
        options={"registered": "2015-06-05"},
        rows=[
            # Every digit kept in scientific notation: read back, noted.
            (["2.014010001E+09", "张三", "图书馆整理", "2015-03-20", "10"], [("学号", "DK806")]),
            (["2014010002", "李四", "图书馆整理", "2015/3/20", "2.5"], []),
            # 2014-10-20 is in 2014-2015-1, whose window closes 2015-03-15: registered 2015-06-05 is outside.
            (["2014010003", "王五", "社区义诊", "2014-10-20", "4"], [("服务日期", "DK404")]),
            (["2013010001", "赵六", "图书馆整理", "2015-03-32", "4"], [("服务日期", "DK810")]),
        ],
    ),
    Case(
        "hours_gbk.csv",
        "csv-gbk",
        ["学号", "姓名", "班级", "活动名称", "类别", "活动日期", "服务时长", "登记日期", "备注"],
        sheet="hours_gbk",
        options={"dept": "customs"},
        rows=[
            (
                [
                    "2014010001",
                    "张三",
                    "海关管理2014级1班",
                    "海关开放日讲解",
                    "志愿公益活动",
                    "2015-04-18",
                    "6小时",
                    "2015-06-03",
                    "讲解员",
                ],
                [("服务时长", "DK808")],
            ),
            (
                [
                    "2014010002",
                    "李四",
                    "海关管理2014级1班",
                    "海关开放日讲解",
                    "志愿公益活动",
                    "2015-04-18",
                    "6",
                    "2015-06-03",
                    "",
                ],
                [],
            ),
            # 周九 is a law student; this sheet is imported for customs.
            (
                [
                    "2014020001",
                    "周九",
                    "法律2014级1班",
                    "海关开放日讲解",
                    "志愿公益活动",
                    "2015-04-18",
                    "6",
                    "2015-06-03",
                    "",
                ],
                [("学号", "DK302")],
            ),
            # 志愿活动 is no category of the rules.
            (
                [
                    "2013010001",
                    "赵六",
                    "海关管理2013级1班",
                    "海关开放日讲解",
                    "志愿活动",
                    "2015-04-18",
                    "6",
                    "2015-06-03",
                    "",
                ],
                [("类别", "DK816")],
            ),
        ],
    ),
    Case("notes.txt", "text", [], rows=[], file_expect=["DK801"]),
    Case("no_header.xlsx", "xlsx", ["编号", "内容"], rows=[([1, "会议记录"], [])], sheet="Sheet1", file_expect=[]),
]
# A sheet with no 学号 header: DK802 at A1 of its only sheet (the file-level expectations list cells too).
NO_HEADER_CELLS = [("no_header.xlsx!Sheet1!A1", "DK802")]


def _column(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def layout(case: Case, rows: list) -> tuple[list[list], list[tuple[int, int]], set[tuple[str, str]]]:
    """The sheet's grid, its merged ranges (row, width) and the expected (cell, code) pairs, for ``rows``."""
    grid: list[list] = []
    merges = []
    if case.title:
        grid.append([case.title])
        merges.append((1, len(case.header)))
    while len(grid) < case.header_row - 1:
        grid.append([])
    grid.append(list(case.header))
    expected = set()
    for row in rows:
        n = len(grid) + 1
        if row[0] == BLANK:
            grid.append([])
            continue
        if row[0] == BANNER:
            grid.append([row[1]])
            merges.append((n, len(case.header)))
            marks = row[2]
        else:
            grid.append(list(row[0]))
            marks = row[1]
        for header, code in marks:
            expected.add((f"{case.name}!{case.sheet}!{_column(case.header.index(header))}{n}", code))
    return grid, merges, expected


def fixed_rows(case: Case) -> list:
    """The rows with no error: what the secretary's sheet looks like once the errors are dealt with."""
    keep = []
    for row in case.rows:
        marks = row[2] if row[0] == BANNER else [] if row[0] == BLANK else row[1]
        if all(code in WARNINGS for _, code in marks):
            keep.append(row)
    return keep


def _xlsx(path: Path, case: Case, grid, merges, wps: bool) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = case.sheet
    for r, values in enumerate(grid, start=1):
        for c, v in enumerate(values, start=1):
            sheet.cell(r, c, v)
    for r, width in merges:
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    book.save(path)
    if wps:  # WPS writes <dimension ref="A1:A1"/> whatever the sheet holds; readers that trust it see one cell
        raw = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename.startswith("xl/worksheets/sheet"):
                    data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', data)
                out.writestr(info, data)


def _xls(path: Path, case: Case, grid, merges) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(case.sheet)
    merged = {r: w for r, w in merges}
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, values in enumerate(grid):
        if r + 1 in merged:
            sheet.write_merge(r, r, 0, merged[r + 1] - 1, values[0] if values else "")
            continue
        for c, v in enumerate(values):
            sheet.write(r, c, v, day) if isinstance(v, date) else sheet.write(r, c, v)
    book.save(str(path))


def _ods(path: Path, case: Case, grid) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=case.sheet)
    for values in grid:
        tr = TableRow()
        for v in values:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cell = TableCell(valuetype="float", value=v)
            elif isinstance(v, date):
                cell = TableCell(valuetype="date", datevalue=v.isoformat())
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(v)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def _csv(path: Path, grid, encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [[v.isoformat() if isinstance(v, (date, datetime)) else v for v in r] for r in grid]
    )
    path.write_bytes(buf.getvalue().encode(encoding))


def write(case: Case, path: Path, rows: list) -> set[tuple[str, str]]:
    """Write ``case`` with ``rows`` to ``path``; return the (cell, code) pairs it must give."""
    grid, merges, expected = layout(case, rows)
    if case.fmt in ("xlsx", "wps"):
        _xlsx(path, case, grid, merges, case.fmt == "wps")
    elif case.fmt == "xls":
        _xls(path, case, grid, merges)
    elif case.fmt == "ods":
        _ods(path, case, grid)
    elif case.fmt == "csv-bom":
        _csv(path, grid, "utf-8-sig")
    elif case.fmt == "csv-gbk":
        _csv(path, grid, "gbk")
    else:
        path.write_text("这不是表格 / not a spreadsheet\n", encoding="utf-8")
    return expected


def make(out: Path) -> dict[str, dict]:
    """Write every case into ``out`` and ``out/fixed``; return, per case, its expectations and options."""
    (out / "fixed").mkdir(parents=True, exist_ok=True)
    table = {}
    for case in CASES:
        expected = write(case, out / case.name, case.rows)
        if case.name == "no_header.xlsx":
            expected = set(NO_HEADER_CELLS)
        fixed = fixed_rows(case)
        fixed_expected = write(case, out / "fixed" / case.name, fixed) if case.fmt != "text" else set()
        data_rows = sum(1 for r in fixed if r[0] not in (BLANK, BANNER))
        table[case.name] = {
            "expected": expected, "file": case.file_expect, "options": case.options,
            "fixed": fixed_expected, "claims": data_rows,
        }  # fmt: skip
    return table


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "sheets-corpus")
    for name, info in make(target).items():
        print(name, sorted(info["expected"]), info["file"])
