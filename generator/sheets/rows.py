"""One sheet → its header and its data rows: the header found below title rows, columns mapped, every cell read."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, diag
from . import values
from .columns import field_of, ignored, normalize_header
from .read import Grid, cell_name

SIGNATURES = {"签名", "签到", "学生签名", "本人签名", "签字"}
HEADER_SEARCH = 30  # title rows, notes and blank rows above the header: real sheets have a few, never this many


@dataclass
class Row:
    """One data row: where it is, which column holds each field, and the raw cells by field."""

    sheet: str
    row: int  # 0-based
    cols: dict[str, int]
    cells: dict[str, object]
    parsed: dict[str, object] = field(default_factory=dict)

    def at(self, name: str | None) -> tuple[int, int]:
        """1-based (row, column) of a field's cell; the student id's cell when the field has no column."""
        col = self.cols.get(name or "student", self.cols.get("student", 0))
        return self.row + 1, col + 1

    def cell(self, name: str | None) -> str:
        """``Sheet1!B12`` for a field of this row."""
        r, c = self.at(name)
        return f"{self.sheet}!{cell_name(r - 1, c - 1)}"


@dataclass
class Sheet:
    """A sheet's header row, its columns by field, and its data rows."""

    name: str
    header: int | None
    cols: dict[str, int]
    rows: list[Row]


def _at(raw: list, c: int) -> object:
    return raw[c] if c < len(raw) else ""


def find_header(grid: Grid) -> int | None:
    """The first row that names the student id and at least one other known column."""
    for r, row in enumerate(grid.rows[:HEADER_SEARCH]):
        found = {field_of(c) for c in row if not values.blank(c)} - {None}
        if "student" in found and len(found) >= 2:
            return r
    return None


def _merged(grid: Grid, header: int) -> tuple[dict[tuple[int, int], tuple[int, int]], set[int]]:
    """Cells a vertical merge covers (→ its top-left cell), and data rows that a merge across columns makes a banner."""
    fill: dict[tuple[int, int], tuple[int, int]] = {}
    banners: set[int] = set()
    for (r0, c0), (r1, c1) in grid.merged:
        if r1 <= header:
            continue
        if c1 > c0:  # across columns in a data row: a group title or a total, not a student's row
            banners.update(range(max(r0, header + 1), r1 + 1))
        elif r1 > r0:  # down one column: the same value for every row it spans (an activity name, a date)
            for r in range(max(r0 + 1, header + 1), r1 + 1):
                fill[(r, c0)] = (r0, c0)
    return fill, banners


def read_sheet(grid: Grid, book: str) -> tuple[Sheet, list[Diagnostic]]:
    """Map a sheet's columns and collect its data rows; skipped rows and unknown columns are noted."""
    problems: list[Diagnostic] = []
    where = f"{book}!{grid.name}"
    header = find_header(grid)
    if header is None:
        return Sheet(grid.name, None, {}, []), problems
    cols: dict[str, int] = {}
    signature = None
    for c, name in enumerate(grid.rows[header]):
        if values.blank(name):
            continue
        if normalize_header(name) in SIGNATURES:
            signature = c
        f = field_of(name)
        if f is None or f in cols:
            if not ignored(name):
                problems.append(diag("DK804", where, header + 1, c + 1, header=values.text(name)))
            continue
        cols[f] = c
    fill, banners = _merged(grid, header)
    width = max(cols.values()) + 1
    rows: list[Row] = []
    for r in range(header + 1, len(grid.rows)):
        raw = grid.rows[r]
        cells = {}
        for f, c in cols.items():
            value = _at(raw, c)
            if values.blank(value) and (r, c) in fill:
                top = fill[(r, c)]
                value = grid.rows[top[0]][top[1]]
            cells[f] = value
        # (a student id in the row settles it at once: most rows have one)
        blank_row = values.blank(cells["student"]) and all(values.blank(v) for v in raw[:width])
        if blank_row and all(values.blank(v) for v in cells.values()):
            continue  # a blank row: nothing to read, nothing to say
        student_col = cols["student"] + 1
        if r in banners:
            problems.append(diag("DK814", where, r + 1, student_col, detail="合并单元格的行（分组标题或合计）",
                                 detail_en="a row of merged cells (a group title or a total)"))  # fmt: skip
            continue
        if signature is not None and values.blank(cells.get("hours", "x")) and values.blank(_at(raw, signature)):
            continue  # a sign-in sheet's printed row for a student who did not come: neither hours nor signature
        if values.blank(cells["student"]):
            problems.append(diag("DK814", where, r + 1, student_col, detail="没有学号", detail_en="no student id"))
            continue
        rows.append(Row(grid.name, r, cols, cells))
    return Sheet(grid.name, header, cols, rows), problems
