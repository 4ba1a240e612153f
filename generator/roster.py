"""The student roster: a CSV file, and an importer for the exports of academic systems."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, diag
from .yamlload import codepoint

COLUMNS = ("id", "name", "department", "class", "enrollment_year", "status")
STATUSES = {"enrolled": "在读", "suspended": "休学", "graduated": "毕业", "withdrawn": "退学"}

# Column names seen in academic-system exports, mapped to ours.
HEADER_ALIASES = {
    "学号": "id", "id": "id", "student_id": "id",
    "姓名": "name", "name": "name",
    "系部": "department", "院系": "department", "学院": "department", "department": "department",
    "班级": "class", "class": "class",
    "入学年份": "enrollment_year", "年级": "enrollment_year", "enrollment_year": "enrollment_year",
    "学籍状态": "status", "状态": "status", "status": "status",
}  # fmt: skip
STATUS_ALIASES = {**{v: k for k, v in STATUSES.items()}, **{k: k for k in STATUSES}, "在校": "enrolled"}
# ASCII only, as the claims' StudentId: str.isdigit() and str.isalnum() also accept full-width (２０１４…) and
# Arabic-Indic (٢٠١٤…) digits, which int() reads and nothing downstream expects.
_ID = re.compile(r"[0-9A-Za-z]{4,20}")
_YEAR = re.compile(r"[0-9]{4}")
# Control characters in a cell, line breaks included: a name, class or id is one line of plain text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Student:
    """One student as the roster lists them."""

    id: str
    name: str
    department: str
    class_name: str
    enrollment_year: int
    status: str
    row: int


def parse_roster(text: str, file: str, departments: dict[str, str]) -> tuple[dict[str, Student], list[Diagnostic]]:
    """Read the roster CSV; ``departments`` maps both ids and names to department ids."""
    problems: list[Diagnostic] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or []
    columns = [HEADER_ALIASES.get(h.strip().lstrip("\ufeff"), h.strip()) for h in header]
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        return {}, [diag("DK603", file, 1, 1, detail=", ".join(missing))]
    index = {c: columns.index(c) for c in COLUMNS}
    students: dict[str, Student] = {}

    def col(c: str) -> int:  # a column number for diagnostics
        return index[c] + 1

    end = reader.line_num
    for row in reader:
        row_no, end = end + 1, reader.line_num  # a quoted cell may span lines: report where the record starts
        if not any(cell.strip() for cell in row):
            continue
        if bad := _control_cell(row):
            i, ch = bad
            problems.append(diag("DK114", file, row_no, i + 1, char=codepoint(ch)))
            continue
        if len(row) < len(header):
            problems.append(diag("DK601", file, row_no, 1, row=row_no, detail="列数不足", detail_en="too few columns"))
            continue
        cell = {c: row[i].strip() for c, i in index.items()}
        sid = cell["id"]
        if not _ID.fullmatch(sid):
            problems.append(
                diag(
                    "DK601",
                    file,
                    row_no,
                    col("id"),
                    row=row_no,
                    detail=f"学号 “{sid}” 无效",
                    detail_en=f"invalid student id '{sid}'",
                )
            )
            continue
        dept = departments.get(cell["department"])
        if dept is None:
            problems.append(diag("DK604", file, row_no, col("department"), row=row_no, department=cell["department"]))
            continue
        year = cell["enrollment_year"].removesuffix("级")
        if not _YEAR.fullmatch(year):
            problems.append(
                diag(
                    "DK601",
                    file,
                    row_no,
                    col("enrollment_year"),
                    row=row_no,
                    detail=f"入学年份 “{year}” 无效",
                    detail_en=f"invalid enrollment year '{year}'",
                )
            )
            continue
        status = STATUS_ALIASES.get(cell["status"])
        if status is None:
            problems.append(
                diag(
                    "DK601",
                    file,
                    row_no,
                    col("status"),
                    row=row_no,
                    detail=f"学籍状态 “{cell['status']}” 无效",
                    detail_en=f"unknown status '{cell['status']}'",
                )
            )
            continue
        if not cell["name"]:
            problems.append(
                diag("DK601", file, row_no, col("name"), row=row_no, detail="姓名为空", detail_en="empty name")
            )
            continue
        if sid in students:
            problems.append(diag("DK602", file, row_no, col("id"), student=sid, first=students[sid].row))
            continue
        students[sid] = Student(sid, cell["name"], dept, cell["class"], int(year), status, row_no)
    return students, problems


def _control_cell(row: list[str]) -> tuple[int, str] | None:
    """The first cell of ``row`` holding a control character, and that character."""
    for i, cell in enumerate(row):
        if m := _CONTROL.search(cell):
            return i, m.group()
    return None


def load_roster(path: Path, file: str, departments: dict[str, str]) -> tuple[dict[str, Student], list[Diagnostic]]:
    """Load the roster file at ``path``; a missing, undecodable or linked file is a diagnostic."""
    if path.is_symlink() or path.parent.is_symlink():  # never followed: a link can lead out of the repository
        return {}, [diag("DK116", file)]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return {}, [diag("DK100", file, detail="找不到学生名册 / roster not found")]
    except UnicodeDecodeError:
        return {}, [diag("DK109", file)]
    return parse_roster(text, file, departments)


def write_roster(students: list[Student], path: Path) -> None:
    """Write the roster in the project's own format, sorted by id."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in sorted(students, key=lambda s: s.id):
        writer.writerow([s.id, s.name, s.department, s.class_name, s.enrollment_year, s.status])
    path.write_text(buf.getvalue(), encoding="utf-8")


# The public notice shows, beside each masked id, the student's department and class (and name). A masked id
# must not single anyone out of that context: among the roster's students of the same department and class,
# at least NOTICE_K must fit it. The year alone fits a whole class; the last digits narrow it down (ids
# are numbered within a class, so the last two digits with the class usually give the full id away).
NOTICE_K = 5


def _fits(masked: str, student_id: str) -> bool:
    return len(masked) == len(student_id) and all(m in ("*", c) for m, c in zip(masked, student_id))


def notice_mask(student_id: str, peers: list[str], k: int = NOTICE_K) -> str:
    """The most telling mask of ``student_id`` that at least ``k`` of ``peers`` (its class, itself included) fit.

    Tried in turn: the year and the last two characters (``2014******03``), the year and the last one
    (``2014*******3``), the year alone (``2014******``); when the class has fewer than ``k`` students,
    nothing is shown (``**********``) — the class then says more than the id could.
    """
    keep_head = 4 if len(student_id) > 8 else 2
    head, n = student_id[:keep_head], len(student_id)
    for tail in (2, 1, 0):
        masked = head + "*" * (n - keep_head - tail) + student_id[n - tail :]
        if sum(1 for p in peers if _fits(masked, p)) >= k:
            return masked
    return "*" * n


def mask_id(student_id: str) -> str:
    """A student id as a sealed verification record shows it: the year and the last two characters (``2014****03``).

    Only for the record a transcript's code opens (its holder knows the full id); the public notice list
    uses ``notice_mask``, which no id can be recovered from.
    """
    keep_head = 4 if len(student_id) > 8 else 2
    return student_id[:keep_head] + "*" * max(len(student_id) - keep_head - 2, 2) + student_id[-2:]
