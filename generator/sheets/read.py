"""Read a spreadsheet (.xlsx, .xls, .ods with python-calamine; .csv in UTF-8, UTF-8 with BOM or GBK) into grids."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
MAX_BYTES = 20 * 1024 * 1024  # a sheet of a few thousand people is well under 1 MB; refuse what no secretary keeps


class SheetError(Exception):
    """The file cannot be read as a spreadsheet; the message is Chinese with an English gloss."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Grid:
    """One sheet's cells as calamine gives them, row 0 being the sheet's row 1, with its merged ranges."""

    name: str
    rows: list[list]
    merged: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()


def column_letter(col: int) -> str:
    """``0`` → ``A``, ``27`` → ``AB``."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    """The A1-style name of a 0-based cell: ``(11, 1)`` → ``B12``."""
    return f"{column_letter(col)}{row + 1}"


def decode_csv(raw: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK (GB 18030, its superset), as Chinese Excel saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("CSV 文件既不是 UTF-8 也不是 GBK 编码", "the CSV file is neither UTF-8 nor GBK")


def _csv_grid(raw: bytes, name: str) -> Grid:
    text = decode_csv(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return Grid(name, [list(r) for r in csv.reader(io.StringIO(text), dialect)])


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of the file at ``path`` (a CSV file is one sheet named after the file)."""
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEETS:
        raise SheetError(
            f"不是表格文件（{path.suffix or '无扩展名'}）；请上传 .xlsx、.xls、.ods 或 .csv",
            f"not a spreadsheet ({path.suffix or 'no extension'}); upload .xlsx, .xls, .ods or .csv",
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SheetError(f"无法打开文件：{exc.strerror}", f"cannot open the file: {exc.strerror}") from exc
    if size > MAX_BYTES:
        raise SheetError(
            f"文件过大（{size // 1024 // 1024} MB，上限 20 MB）", f"file too large ({size} bytes, limit 20 MB)"
        )
    if suffix == ".csv":
        return [_csv_grid(path.read_bytes(), path.stem)]
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            grids = []
            for meta in book.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                sheet = book.get_sheet_by_name(meta.name)
                # skip_empty_area=False keeps row 0 at the sheet's row 1, so cell names are the ones people see.
                grids.append(
                    Grid(meta.name, sheet.to_python(skip_empty_area=False), tuple(sheet.merged_cell_ranges or ()))
                )
            return grids
    except SheetError:
        raise
    except Exception as exc:  # calamine raises its own errors and ValueError for damaged or encrypted files
        raise SheetError(
            f"文件已损坏、加密或格式不符（{type(exc).__name__}）", f"damaged, encrypted or not {suffix} ({exc})"
        ) from exc
