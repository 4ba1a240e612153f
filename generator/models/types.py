"""Field types that accept only unambiguous spellings of numbers, dates, booleans and ids."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_INT = re.compile(r"^(0|[1-9][0-9]*)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
# Hours, credits, ranks and the rules' numbers are small. Nine digits before the point (under a billion) and
# nine after keep every sum and product well inside the 28 digits of Python's decimal context, where a
# 10,000-digit number would otherwise overflow a quantize (or Python's own limit for reading an int).
MAX_INT_DIGITS = 9
MAX_FRACTION_DIGITS = 9
_SHOWN = 24  # how much of a rejected value a message repeats


class Strict(BaseModel):
    """Base of every input model: unknown fields are errors and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _number(value: object, pattern: re.Pattern, what: str) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("dk107", "not a number", {"value": str(value), "detail": what})
    if isinstance(value, (int, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
        if pattern.match(value):
            whole, _, fraction = value.partition(".")
            if len(whole) <= MAX_INT_DIGITS and len(fraction) <= MAX_FRACTION_DIGITS:
                return value
            hint = f"（位数过多：整数最多 {MAX_INT_DIGITS} 位，小数最多 {MAX_FRACTION_DIGITS} 位 / too many digits）"
            raise PydanticCustomError("dk107", "not a number", {"value": shown, "detail": hint})
        hint = "（不能有前导零或单位）" if value[:1].isdigit() else ""
        raise PydanticCustomError("dk107", "not a number", {"value": shown, "detail": hint + what})
    return value  # let the field's own type report lists and mappings


def _decimal(value: object) -> object:
    return _number(value, _DECIMAL, "")


def _int(value: object) -> object:
    return _number(value, _INT, "（应为整数 / an integer）")


def _date(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if _DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise PydanticCustomError("dk108", "not a date", {"value": value})
    return value


def _bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, str):
        raise PydanticCustomError("dk106", "not a boolean", {"value": value})
    return value


def _academic_year(value: object) -> object:
    if isinstance(value, str):
        m = _YEAR.match(value)
        if not m or int(m.group(2)) != int(m.group(1)) + 1:
            raise PydanticCustomError(
                "dk204", "学年应写成 2014-2015 / an academic year reads 2014-2015", {"value": value}
            )
    return value


# Constraints come before the validator so that JSON Schema shows them as minimum/maximum to editors.
Num = Annotated[Decimal, Field(ge=0, decimal_places=2), BeforeValidator(_decimal)]
PositiveNum = Annotated[Decimal, Field(gt=0, decimal_places=2), BeforeValidator(_decimal)]
Int = Annotated[int, BeforeValidator(_int)]
Rank = Annotated[int, Field(ge=2, le=50), BeforeValidator(_int)]
Day = Annotated[date, BeforeValidator(_date)]
Flag = Annotated[bool, BeforeValidator(_bool)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")]
_STUDENT_PATTERN = r"^[0-9A-Za-z]{4,20}$"
# Editors read YAML 1.2, where a plain 2014010203 is an integer; the loader keeps it as text either way.
StudentId = Annotated[
    str,
    StringConstraints(pattern=_STUDENT_PATTERN),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _STUDENT_PATTERN}, {"type": "integer", "minimum": 0}]}),
]
AcademicYear = Annotated[str, BeforeValidator(_academic_year)]


def academic_year_start(year: str) -> int:
    """The calendar year an academic year such as ``2014-2015`` begins in."""
    return int(year[:4])
