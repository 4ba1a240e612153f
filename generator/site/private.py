"""Lists that name students: private outputs under ``OUT/private``, never on the public site.

* ``at-risk/<department>.csv`` — for counsellors: enrolled students behind the pace to the graduation
  requirements (see ``stats.shortfall``), what each still lacks, most behind first.
* ``ranking/<department>-<enrollment year>.csv`` — for award evaluation (评优): students of one department
  and cohort ranked by credits, equal totals by innovation credits (full ties share a rank), with the
  credits of the current academic year.

CSV in UTF-8 with a byte-order mark, so that Excel on a Chinese Windows opens it without garbling; safe to open
(no cell starts like a formula) and with ids that stay text (see ``id_cell``).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from ..ledger import Ledger
from ..roster import STATUSES
from ..rules import Rules
from ..scoring import fmt
from .stats import modules_of, population, shortfall

# Spreadsheets run a cell that starts with one of these as a formula (OWASP's CSV injection): a name or class
# typed as "=HYPERLINK(…)" must reach the counsellor as text. Such a cell gets a leading apostrophe, which
# Excel and LibreOffice show, so the reader sees that the cell was changed.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ID_COLUMN = "学号"


def text_cell(value: str) -> str:
    """A cell no spreadsheet runs: a leading ``'`` when it starts like a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def id_cell(value: str) -> str:
    """A student id Excel keeps as text: an all-digit id gets a leading tab.

    Opened from CSV, a cell of digits becomes a number: leading zeros go, ids of 12 digits and more show as
    2.01E+11 and lose digits after the 15th. A formula (``="…"``) would keep it but is what the rule above
    forbids; an apostrophe is shown as part of the value. A leading tab makes Excel read the cell as text and
    is not shown; programs reading the file get the id with ``.strip()``. The tab comes after the formula rule,
    and the id is only digits, so nothing here can be run.
    """
    return "\t" + value if value.isdigit() else text_cell(value)


def _csv(rows: list[list[str]]) -> bytes:
    """The rows as CSV (UTF-8 with a byte-order mark, CRLF); the column headed 学号 holds ids, every other cell text."""
    ids = rows[0].index(ID_COLUMN) if rows and ID_COLUMN in rows[0] else None
    safe = [rows[0]] + [[id_cell(c) if i == ids else text_cell(c) for i, c in enumerate(row)] for row in rows[1:]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(safe)
    return buf.getvalue().encode("utf-8-sig")


def at_risk_rows(rules: Rules, ledgers: list[Ledger], today) -> list[list[str]]:
    """The at-risk list of some students: a header row, then the students most behind first."""
    modules = modules_of(rules)
    names = {m.id: m.name for m in modules}
    head = ["学号", "姓名", "班级", "年级", "学籍状态", "当前学年", "总学分", "毕业要求总学分", "尚缺总学分"]
    head += [f"{m.name}（已得/要求）" for m in modules] + ["落后进度的模块", "尚缺", "团校"]
    rows = []
    for l in ledgers:
        gap = shortfall(l, rules, today)
        if gap is None:
            continue
        s = l.student
        per = {m.id: m for m in l.modules}
        cells = [s.id, s.name, s.class_name, str(s.enrollment_year), STATUSES.get(s.status, s.status),
                 f"第{gap['year']}学年", fmt(l.total), fmt(l.total_required), fmt(gap["total_missing"])]  # fmt: skip
        cells += [f"{fmt(per[m.id].credits)}/{fmt(per[m.id].required)}" if m.id in per else "" for m in modules]
        cells.append("、".join(names.get(m, m) for m in gap["behind"]) or "总学分")
        cells.append(
            "；".join(f"{names.get(m, m)}缺 {fmt(v)}" for m, v in gap["modules"].items())
            or f"总学分缺 {fmt(gap['total_missing'])}"
        )
        cells.append(
            "；".join(
                (
                    "已结业"
                    if c.complete
                    else "未结业：缺 " + "、".join(c.required_missing)
                    if c.required_missing
                    else "未结业：选修积分不足"
                )
                for c in l.completions
            )
        )
        missing = sum(gap["modules"].values(), Decimal(0)) + gap["total_missing"]
        rows.append((-missing, s.class_name, s.id, cells))
    rows.sort(key=lambda r: r[:3])
    return [head] + [r[3] for r in rows]


def ranking_rows(rules: Rules, ledgers: list[Ledger], today) -> list[list[str]]:
    """Students ranked by total credits, equal totals by innovation credits (ties share a rank: 1, 2, 2, 4).

    The pilot report (its section on certification rules) makes innovation credits an important basis for awards
    when all else is equal: so among equal totals, more 科研创新 credits rank higher, and both columns are shown.
    """
    modules = modules_of(rules)
    year = rules.academic_year(today)
    head = ["名次", "学号", "姓名", "班级", "总学分", "创新学分（同分时比较）"] + [m.name for m in modules]
    head += [f"{year} 学年学分", "达到毕业要求"]
    ordered = sorted(ledgers, key=lambda l: (-l.total, -l.innovation_credits, l.student.id))
    rows, rank, previous = [head], 0, None
    for i, l in enumerate(ordered, start=1):
        if (l.total, l.innovation_credits) != previous:
            rank, previous = i, (l.total, l.innovation_credits)
        per = {m.id: m.credits for m in l.modules}
        this_year = sum((it.credits for it in l.items if it.counted and it.year == year), Decimal(0))
        rows.append(
            [str(rank), l.student.id, l.student.name, l.student.class_name, fmt(l.total), fmt(l.innovation_credits)]
            + [fmt(per.get(m.id, Decimal(0))) for m in modules]
            + [fmt(this_year), "是" if l.graduation_met else "否"]
        )
    return rows


def private_lists(rules: Rules, ledgers: dict[str, Ledger], today) -> dict[str, bytes]:
    """Every private list: relative path under ``OUT/private`` → CSV bytes."""
    people = population(ledgers)
    out: dict[str, bytes] = {}
    for dept in rules.school.departments:
        mine = [l for l in people if l.student.department == dept]
        if not mine:
            continue
        out[f"at-risk/{dept}.csv"] = _csv(at_risk_rows(rules, mine, today))
        for cohort in sorted({l.student.enrollment_year for l in mine}):
            out[f"ranking/{dept}-{cohort}.csv"] = _csv(
                ranking_rows(rules, [l for l in mine if l.student.enrollment_year == cohort], today)
            )
    return out


def write_private(private: Path, files: dict[str, bytes], folders: tuple[str, ...] = ("at-risk", "ranking")) -> None:
    """Write ``files`` (path under ``private`` → bytes) and the ``folders`` they belong in, even when empty.

    ``private`` is the build's fresh stage (``dekt.output``), swapped into place whole: no stale list stays behind.
    """
    for folder in folders:
        (private / folder).mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = private / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
