"""Print diagnostics for people (human), for GitHub Actions (github) or for programs (json)."""

from __future__ import annotations

import json
from collections import Counter

from .diagnostics import Diagnostic, Severity

FORMATS = ("human", "github", "json")


def _count(diagnostics: list[Diagnostic]) -> tuple[int, int]:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    return errors, len(diagnostics) - errors


def totals_line(diagnostics: list[Diagnostic], files: int) -> str:
    """One line: how many files were checked and what was found."""
    errors, warnings = _count(diagnostics)
    if not diagnostics:
        return f"检查了 {files} 个文件，没有发现问题。 (checked {files} files, no problems)"
    return f"检查了 {files} 个文件：{errors} 个错误，{warnings} 个警告。 (checked {files} files: {errors} errors, {warnings} warnings)"


def human(diagnostics: list[Diagnostic], files: int) -> str:
    """``file:line:col: severity CODE message`` per line, then the totals."""
    label = {Severity.ERROR: "错误 error", Severity.WARNING: "警告 warning"}
    lines = [f"{d.file}:{d.line}:{d.col}: {label[d.severity]} {d.code} {d.message}" for d in diagnostics]
    return "\n".join(lines + [totals_line(diagnostics, files)])


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(diagnostics: list[Diagnostic]) -> str:
    """Workflow commands that GitHub shows as annotations on the pull request's files."""
    lines = []
    for d in diagnostics:
        kind = "error" if d.severity is Severity.ERROR else "warning"
        props = f"file={_escape_property(d.file)},line={d.line},col={d.col},title={d.code}"
        lines.append(f"::{kind} {props}::{_escape_data(d.message)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(diagnostics: list[Diagnostic], files: int, limit: int = 1000) -> str:
    """A Markdown summary for the job's step summary: totals by code, then every problem in a table."""
    errors, warnings = _count(diagnostics)
    out = ["## dekt validate", "", totals_line(diagnostics, files), ""]
    if not diagnostics:
        return "\n".join(out) + "\n"
    out += ["| 代码 code | 级别 severity | 数量 count |", "| --- | --- | --- |"]
    by_code = Counter((d.code, d.severity.value) for d in diagnostics)
    out += [f"| {code} | {sev} | {n} |" for (code, sev), n in sorted(by_code.items())]
    out += ["", "| 位置 where | 代码 code | 说明 message |", "| --- | --- | --- |"]
    for d in diagnostics[:limit]:
        out.append(f"| `{_cell(d.file)}:{d.line}:{d.col}` | {d.code} | {_cell(d.message)} |")
    if len(diagnostics) > limit:
        out.append(f"| … | | 另有 {len(diagnostics) - limit} 条未列出 ({len(diagnostics) - limit} more not listed) |")
    return "\n".join(out) + "\n"


def as_json(diagnostics: list[Diagnostic]) -> str:
    """A JSON list with file, line, col, code, severity and message for each diagnostic."""
    return json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=2)
