"""The claims workbook, made from rules/ (never kept by hand): a sheet per kind of claim, drop-downs, a 说明 sheet."""

from __future__ import annotations

from pathlib import Path

from ..rules import Rules
from . import catalog
from .columns import HEADER, KINDS, Kind

LIST_SHEET = "_lists"
ROWS = 1000  # rows prepared with text ids, date formats and drop-downs; a longer sheet still imports
TEXT_FIELDS = ("student", "name", "class", "evidence", "note")
DATE_FIELDS = ("date", "registered")

EXPLAIN = {
    "student": ("学号，按文本填写（不会变成 2.01401E+09）", "2014010203"),
    "name": ("姓名，须与名册一致：导入时用来发现学号输错", "张三"),
    "class": ("班级（可不填，仅供核对）", "海关管理2014级1班"),
    "activity": ("活动名称：同名、同日期、同类别的各行合成一个申报文件", "2015年敬老院关爱行动"),
    "credit_class": ("学分制教学班：从下拉列表中选择", ""),
    "category": ("类别：从下拉列表中选择", ""),
    "date": ("活动（获奖、结项、结课）日期", "2015-10-12"),
    "hours": ("时长（小时），可写 2.5", "3"),
    "level": ("级别：从下拉列表中选择", ""),
    "award": ("奖项或成绩：从下拉列表中选择", ""),
    "role": ("角色：负责人或成员等", ""),
    "rank": ("成员排名：负责人为 1，成员从 2 起（团队项目按排名折算）", "2"),
    "course": ("团校课程：从下拉列表中选择", ""),
    "advisor": ("指导教师的代码托管平台账号（科研成果）", ""),
    "registered": ("登记日期（可不填：导入时用 --registered 或当天），须在登记窗口内", "2015-12-01"),
    "evidence": ("证明材料编号（证书号等，可不填；整张表的哈希会自动记入）", "证书 DH-000123"),
    "note": ("备注（可不填）", ""),
}


def _fields(kind: Kind) -> list[str]:
    return [f for f in kind.fields if f != "advisor" or catalog.claim_has("advisor")]


def _lists(rules: Rules, year: str) -> dict[str, list[str]]:
    """Every drop-down's choices for the rules in force in ``year``, by list name."""
    v = rules.version_for(year).rules
    out: dict[str, list[str]] = {}
    for k in KINDS:
        cats = [v.categories[c] for c in catalog.categories_of(v, k.scoring)]
        out[f"category_{k.scoring}"] = [c.name for c in cats]
        # Only what these categories take: a class's results, not a competition's prizes.
        for dim, table in (("level", v.levels), ("award", v.awards), ("role", v.roles)):
            used = set().union(*(catalog.keys_of(c, dim, v) for c in cats)) if cats else set()
            out[f"{dim}_{k.scoring}"] = [x.name for key, x in table.items() if key in used]
    out["course"] = list(catalog.courses(v).values())
    out["credit_class"] = [c.name for c in catalog.class_catalogue(rules, year).values()]
    return out


def _example(rules: Rules, year: str, kind: Kind) -> dict[str, str]:
    """An example row for the 说明 sheet, taken from the rules so that it is valid in ``year``."""
    v = rules.version_for(year).rules
    cats = catalog.categories_of(v, kind.scoring)
    ex = {f: EXPLAIN[f][1] for f in _fields(kind)}
    if cats:  # the category that shows the most columns in use
        cat = max((v.categories[c] for c in cats), key=lambda c: (len(c.by), c.roles is not None))
        ex["category"] = cat.name
        table, dims = cat.table, list(cat.by)
        for dim in dims:  # walk the credit table to a cell that exists
            if isinstance(table, dict) and table:
                key = next(iter(table))
                ex[dim] = (v.levels if dim == "level" else v.awards)[key].name
                table = table[key]
        if cat.roles:
            ex["role"] = v.roles[next(iter(cat.roles))].name
            ex["rank"] = "1"
    if kind.scoring == "completion":
        ex["course"] = next(iter(catalog.courses(v).values()), "")
    if kind.scoring == "class":
        ex["credit_class"] = next(iter(_lists(rules, year)["credit_class"]), "模拟法庭实训班")
        ex["award"] = next(iter(_lists(rules, year)["award_class"]), "")
    return ex


def build_template(rules: Rules, year: str, dept: str | None = None):
    """The workbook (openpyxl) for ``year``'s rules; ``dept`` only labels it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    version = rules.version_for(year)
    if version is None:
        raise ValueError(f"no rules in force in {year}")
    book = Workbook()
    guide = book.active
    guide.title = "说明"
    lists = _lists(rules, year)
    hidden = book.create_sheet(LIST_SHEET)
    hidden.sheet_state = "hidden"
    refs = {}
    for i, (name, items) in enumerate(sorted(lists.items()), start=1):
        col = get_column_letter(i)
        hidden.cell(1, i, name)
        for j, item in enumerate(items, start=2):
            hidden.cell(j, i, item)
        if items:
            refs[name] = f"{quote_sheetname(LIST_SHEET)}!${col}$2:${col}${len(items) + 1}"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    dept_name = rules.school.departments[dept].name if dept else "各系部"
    guide.append([f"{rules.school.institution.name} 第二课堂申报表 · {dept_name} · {year} 学年"])
    guide.append(
        [
            f"依据规则：{version.rules.title}（{version.rules.since} 起）。"
            "本表由 dekt template 根据 rules/ 生成，请勿修改表头。"
        ]
    )
    guide.append(["填好后上传到仓库的 inbox/<系部>/ 目录（网页上即可），或运行 dekt import-claims 文件名。"])
    guide.append([])
    guide.append(["工作表", "列", "说明", "示例"])
    for c in guide[5]:
        c.font, c.fill = bold, head_fill
    guide["A1"].font = Font(bold=True, size=14)
    for kind in KINDS:
        fields = _fields(kind)
        cats = catalog.categories_of(version.rules, kind.scoring)
        if not cats:
            continue
        example = _example(rules, year, kind)
        guide.append([kind.sheet, "", kind.what, ""])
        guide.cell(guide.max_row, 1).font = bold
        for f in fields:
            guide.append(["", HEADER[f], EXPLAIN[f][0], example.get(f, "")])
        sheet = book.create_sheet(kind.sheet)
        sheet.append([HEADER[f] for f in fields])
        for i, f in enumerate(fields, start=1):
            cell = sheet.cell(1, i)
            cell.font, cell.fill, cell.alignment = bold, head_fill, Alignment(horizontal="center")
            col = get_column_letter(i)
            sheet.column_dimensions[col].width = 24 if f in ("activity", "credit_class", "evidence", "note") else 14
            fmt = "@" if f in TEXT_FIELDS else "yyyy-mm-dd" if f in DATE_FIELDS else None
            if fmt:
                for r in range(2, ROWS + 2):
                    sheet.cell(r, i).number_format = fmt
            ref = refs.get(f"{f}_{kind.scoring}" if f in ("category", "level", "award", "role") else f)
            if ref and f in ("category", "level", "award", "role", "course", "credit_class"):
                dv = DataValidation(
                    type="list",
                    formula1=ref,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="请从列表中选择",
                    error="请从下拉列表中选择 / choose from the list",
                )
                dv.add(f"{col}2:{col}{ROWS + 1}")
                sheet.add_data_validation(dv)
        sheet.freeze_panes = "A2"
    for col, width in zip("ABCD", (14, 14, 60, 24)):
        guide.column_dimensions[col].width = width
    book.move_sheet(LIST_SHEET, offset=len(book.sheetnames))
    return book


def write_template(rules: Rules, year: str, out: Path, dept: str | None = None) -> Path:
    """Write the workbook to ``out`` (.xlsx)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    build_template(rules, year, dept).save(out)
    return out
