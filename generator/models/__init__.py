"""Typed input models, and the bridge from a loaded YAML document to a model with positioned errors."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, diag
from ..yamlload import Document

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "string_type": ("文本", "text"),
    "dict_type": ("映射（键: 值）", "a mapping"),
    "model_type": ("映射（键: 值）", "a mapping"),
    "model_attributes_type": ("映射（键: 值）", "a mapping"),
    "list_type": ("列表", "a list"),
    "decimal_type": ("数字", "a number"),
    "decimal_parsing": ("数字", "a number"),
    "int_type": ("整数", "an integer"),
    "int_parsing": ("整数", "an integer"),
    "date_type": ("日期", "a date"),
    "bool_type": ("布尔值", "a boolean"),
}
_DETAILS = {
    "string_pattern_mismatch": ("格式不符（{pattern}）", "does not match {pattern}"),
    "literal_error": ("应为 {expected} 之一", "expected one of {expected}"),
    "too_short": ("至少需要 {min_length} 项", "needs at least {min_length} item(s)"),
    "too_long": ("最多 {max_length} 项", "at most {max_length} items"),
    "string_too_short": ("不能为空", "must not be empty"),
    "string_too_long": ("过长（最多 {max_length} 字）", "too long (at most {max_length} characters)"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "greater_than": ("必须大于 {gt}", "must be greater than {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "decimal_max_places": ("最多 {decimal_places} 位小数", "at most {decimal_places} decimal places"),
    "dk204": ("{value}：学年应写成 2014-2015", "{value}: an academic year reads 2014-2015"),
}


def _path(loc: tuple) -> tuple:
    """Drop pydantic's union and validator tags from an error location, keeping keys and indexes."""
    return tuple(step for step in loc if isinstance(step, int) or ("[" not in step and "-" not in step))


def to_model(doc: Document, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Validate a document against a model; every error becomes a diagnostic at its line and column."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, errors_to_diagnostics(doc, exc)


def errors_to_diagnostics(doc: Document, exc: ValidationError) -> list[Diagnostic]:
    """Map pydantic's errors to catalogue diagnostics, one per place and problem."""
    out: dict[tuple, Diagnostic] = {}
    for err in exc.errors(include_url=False):
        kind, loc, ctx = err["type"], _path(err["loc"]), err.get("ctx") or {}
        if kind == "missing":
            d = diag("DK202", doc.file, *doc.locate(loc[:-1]), key=loc[-1])
        elif kind == "extra_forbidden":
            d = diag("DK201", doc.file, *doc.locate(loc, key=True), key=loc[-1])
        elif kind in ("dk106", "dk107", "dk108", "dk205", "dk206"):
            d = diag("DK" + kind[2:], doc.file, *doc.locate(loc), **ctx, detail_en="")
        elif kind in _EXPECTED:
            zh, en = _EXPECTED[kind]
            d = diag("DK203", doc.file, *doc.locate(loc), expected=zh, expected_en=en)
        else:
            zh, en = _DETAILS.get(kind, (err["msg"], err["msg"]))
            values = {k: (" / ".join(map(str, v)) if isinstance(v, list) else v) for k, v in ctx.items()}
            d = diag("DK204", doc.file, *doc.locate(loc), detail=zh.format(**values), detail_en=en.format(**values))
        out.setdefault((d.line, d.col, d.code), d)
    return sorted(out.values())
