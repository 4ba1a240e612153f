"""Cell values as sheets hold them (floats for typed numbers, serial dates, "3小时") read back exactly, or refused."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

_ID = re.compile(r"^[0-9A-Za-z]{4,20}$")
_FLOAT_ID = re.compile(r"^([0-9]+)\.0+$")
_SCIENTIFIC = re.compile(r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})$")
_HOURS = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(小时|个小时|h|hr|hrs|hour|hours|学时|时)?$", re.IGNORECASE)
_DATE = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's fictitious 1900-02-29 is skipped


@dataclass(frozen=True)
class Read:
    """A value read from a cell, with a note when it was not written the plain way (code and arguments)."""

    value: object = None
    error: tuple[str, dict] | None = None
    note: tuple[str, dict] | None = None


def text(cell: object) -> str:
    """A cell as text: numbers without a spurious ``.0``, whitespace (also full-width) trimmed."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).replace("\u3000", " ").strip()


def blank(cell: object) -> bool:
    """True for an empty cell (calamine gives empty strings)."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def student_id(cell: object) -> Read:
    """A student id from a text or number cell; a scientific spelling is exact only when it kept every digit."""
    if isinstance(cell, bool):
        return Read(error=("DK818", {"value": str(cell), "kind": "学号", "kind_en": "student id"}))
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and not (cell.is_integer() and 0 <= cell < 1e15):
            return Read(error=("DK818", {"value": text(cell), "kind": "学号", "kind_en": "student id"}))
        return Read(str(int(cell)))  # a typed number: the file holds every digit, whatever the column showed
    raw = unicodedata.normalize("NFKC", text(cell)).replace(" ", "")
    if _ID.match(raw):
        return Read(raw)
    if m := _FLOAT_ID.match(raw):
        return Read(m.group(1))
    if m := _SCIENTIFIC.match(raw):
        head, tail, exp = m.group(1), m.group(2) or "", int(m.group(3))
        if len(tail) == exp:  # 2.014010203E+09: all ten digits written, nothing rounded away
            return Read(
                head + tail,
                note=(
                    "DK806",
                    {
                        "value": raw,
                        "student": head + tail,
                        "detail": "科学计数法，数字完整",
                        "detail_en": "scientific notation with every digit",
                    },
                ),
            )
        return Read(error=("DK805", {"value": raw}))
    return Read(
        error=(
            "DK818",
            {
                "value": raw,
                "kind": "学号",
                "kind_en": "student id",
                "detail": "（应为 4–20 位数字或字母）",
                "detail_en": " (4–20 digits or letters)",
            },
        )
    )


def hours(cell: object) -> Read:
    """Hours as a plain decimal; ``3小时`` is read with a note, anything else that is not a number is refused."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = Decimal(str(cell))
        if value < 0 or value != value.quantize(Decimal("0.01")):
            return Read(error=("DK809", {"value": text(cell)}))
        return Read(_plain(value))
    raw = unicodedata.normalize("NFKC", text(cell))
    m = _HOURS.match(raw)
    if not m:
        return Read(error=("DK809", {"value": raw}))
    value = Decimal(m.group(1))
    if value != value.quantize(Decimal("0.01")):
        return Read(error=("DK809", {"value": raw}))
    hours_text = _plain(value)
    note = ("DK808", {"value": raw, "hours": hours_text}) if m.group(2) else None
    return Read(hours_text, note=note)


def _plain(value: Decimal) -> str:
    """A decimal written as a person would: ``3``, ``2.5``."""
    text = format(value.normalize(), "f")
    return text


def day(cell: object) -> Read:
    """A date from a date cell, an Excel serial number, or text such as 2014-10-12, 2014/10/12, 2014年10月12日."""
    if isinstance(cell, datetime):
        return Read(cell.date())
    if isinstance(cell, date):
        return Read(cell)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if float(cell).is_integer() and 1 <= cell < 2958466:  # Excel's serial range, up to 9999-12-31
            return Read(_EXCEL_EPOCH + timedelta(days=int(cell)))
        if m := _COMPACT_DATE.match(text(cell)):
            return _ymd(m, text(cell))
        return Read(error=("DK810", {"value": text(cell)}))
    raw = unicodedata.normalize("NFKC", text(cell))
    m = _DATE.match(raw) or _COMPACT_DATE.match(raw)
    if m:
        return _ymd(m, raw)
    try:
        serial = Decimal(raw)
    except InvalidOperation:
        return Read(error=("DK810", {"value": raw}))
    return day(int(serial)) if serial == serial.to_integral_value() else Read(error=("DK810", {"value": raw}))


def _ymd(m: re.Match, raw: str) -> Read:
    try:
        return Read(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    except ValueError:
        return Read(error=("DK810", {"value": raw}))


def rank(cell: object) -> Read:
    """A member's rank: a whole number from 1."""
    raw = text(cell)
    if raw.isdigit() and int(raw) >= 1:
        return Read(int(raw))
    return Read(
        error=(
            "DK818",
            {
                "value": raw,
                "kind": "排名",
                "kind_en": "rank",
                "detail": "（应为 1 起的整数）",
                "detail_en": " (a whole number from 1)",
            },
        )
    )


def number(cell: object, kind: str, kind_en: str) -> Read:
    """A non-negative number with at most two decimals (stated credits)."""
    raw = unicodedata.normalize("NFKC", text(cell))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or value < 0 or value != value.quantize(Decimal("0.01")) or not value.is_finite():
        return Read(error=("DK818", {"value": raw, "kind": kind, "kind_en": kind_en}))
    return Read(_plain(value))
