"""A sign-in sheet for one activity: the students of a class or department, blank hours and signatures, in the
template's columns, so that the filled sheet (typed back in, or the xlsx itself) imports with no mapping."""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from ..roster import Student
from .columns import HEADER

FIELDS = ("student", "name", "class", "activity", "date", "hours")
SIGNATURE = "签名"


def columns() -> list[str]:
    """The sheet's headers: the template's own, then a signature column the importer reads past."""
    return [HEADER[f] for f in FIELDS] + [SIGNATURE]


def rows(students: list[Student], activity: str, day: date | None) -> list[list[str]]:
    """One row per student, by id: id, name, class, the activity and its date printed, hours left blank."""
    when = day.isoformat() if day else ""
    return [[s.id, s.name, s.class_name, activity, when, "", ""] for s in sorted(students, key=lambda s: s.id)]


def title(institution: str, activity: str, who: str) -> str:
    return f"{institution} 第二课堂活动签到表 · {activity} · {who}"


def write_xlsx(out: Path, heading: str, table: list[list[str]]) -> None:
    """The sheet as .xlsx: a merged title row, the header on row 3, ids as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "签到表"
    head = columns()
    sheet.cell(1, 1, heading).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    sheet.cell(2, 1, "时长按小时填写（可写 2.5）；未到者留空。 Hours in hours; leave blank for absentees.")
    for i, h in enumerate(head, start=1):
        sheet.cell(3, i, h).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(i)].width = 26 if h == HEADER["activity"] else 14
    for r, values in enumerate(table, start=4):
        for i, v in enumerate(values, start=1):
            cell = sheet.cell(r, i, v or None)
            if i in (1, 2, 3):
                cell.number_format = "@"
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def html(heading: str, table: list[list[str]]) -> str:
    """The printable page: every value escaped, fonts from the system, nothing fetched."""
    head = "".join(f"<th>{escape(h)}</th>" for h in columns())
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in table)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{
  size: A4 landscape; margin: 14mm 12mm;
  @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 9pt; }}
}}
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 10.5pt; }}
h1 {{ font-size: 15pt; text-align: center; margin: 0 0 4mm; }}
p {{ font-size: 9pt; margin: 0 0 3mm; }}
table {{ width: 100%; border-collapse: collapse; }}
thead {{ display: table-header-group; }}
th, td {{ border: 0.6pt solid #333; padding: 2.2mm 1.5mm; text-align: left; }}
th {{ background: #eee; }}
td:nth-child(6), td:nth-child(7) {{ width: 22mm; }}
</style></head><body><h1>{escape(heading)}</h1>
<p>时长按小时填写（可写 2.5）；未到者留空。表格录入后可直接由 dekt import-claims 导入（列与模板一致）。</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"""


def write_pdf(out: Path, heading: str, table: list[list[str]]) -> None:
    """The sheet as PDF (WeasyPrint), fetching nothing: no URL in the page is followed."""
    import weasyprint

    from ..transcript.render import fetcher

    document = weasyprint.HTML(string=html(heading, table), url_fetcher=fetcher([]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(document.write_pdf())
