"""The private lists open safely in a spreadsheet: no cell runs as a formula, ids stay text (read back with csv)."""

from __future__ import annotations

import csv
import io

from dekt.site.private import _csv

# OWASP's CSV-injection rule: a cell that starts with = + - @ tab or carriage return is prefixed with '.
HOSTILE = ['=HYPERLINK("http://evil.example","点此")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx", "张三", "a=b"]


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel on a Chinese Windows
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_cells_that_start_like_a_formula_are_neutralised_and_others_kept():
    rows = read(_csv([["学号", "姓名"], *[["2014010001", h] for h in HOSTILE]]))
    names = [r[1] for r in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://evil.example\",\"点此\")", "'+1+1", "'-2+3", "'@SUM(A1:A2)", "'\tx", "'\rx",
                     "张三", "a=b"]  # fmt: skip
    assert rows[0] == ["学号", "姓名"]  # our own header as written


def test_ids_stay_text_with_a_leading_tab_and_never_as_a_formula():
    rows = read(_csv([["名次", "学号"], ["1", "0123456789012345678"], ["2", "S2015A07"], ["3", "=1+2"]]))
    # All digits: a leading tab (Excel reads the cell as text: no lost zero, no 1.23E+17, no digit lost past the 15th).
    assert rows[1] == ["1", "\t0123456789012345678"]
    # Not all digits: Excel keeps it text anyway; a formula-like value still gets the apostrophe.
    assert rows[2] == ["2", "S2015A07"] and rows[3] == ["3", "'=1+2"]
    assert not any(c.startswith(("=", "+", "-", "@")) for r in rows for c in r)
