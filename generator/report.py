"""Print diagnostics for people (human), for GitHub Actions (github) or for programs (json).

File names and messages carry outside text (a claim's values, a file's name), so every format writes control
characters as escapes: a raw ESC in a CI log or a terminal can rewrite what the reader sees, and a bidirectional
override can make a line read other than it is.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter

from .diagnostics import Diagnostic, Severity

FORMATS = ("human", "github", "json")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What json.dumps leaves as it is: it escapes only C0 controls, quotes and backslashes.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def _escape_char(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """``text`` with each control character written as an escape (``\\x1b``, ``\\u202e``), safe to print."""
    return _UNSAFE.sub(_escape_char, text)


def _count(diagnostics: list[Diagnostic]) -> tuple[int, int]:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    return errors, len(diagnostics) - errors


def totals_line(diagnostics: list[Diagnostic], files: int) -> str:
    """One line: how many files were checked and what was found."""
    errors, warnings = _count(diagnostics)
    if not diagnostics:
        return f"检查了 {files} 个文件，没有发现问题。 (checked {files} files, no problems)"
    return (
        f"检查了 {files} 个文件：{errors} 个错误，{warnings} 个警告。"
        f" (checked {files} files: {errors} errors, {warnings} warnings)"
    )


def human(diagnostics: list[Diagnostic], files: int) -> str:
    """``file:line:col: severity CODE message`` per line, then the totals."""
    label = {Severity.ERROR: "错误 error", Severity.WARNING: "警告 warning"}
    lines = [
        f"{printable(d.file)}:{d.line}:{d.col}: {label[d.severity]} {d.code} {printable(d.message)}"
        for d in diagnostics
    ]
    return "\n".join(lines + [totals_line(diagnostics, files)])


def _escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


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
    """Outside text as a table cell of GitHub Markdown: no HTML, no link, image or emphasis, one line."""
    return _MARKDOWN.sub(r"\\\1", html.escape(printable(text), quote=False))


def summary_markdown(diagnostics: list[Diagnostic], files: int, limit: int = 1000) -> str:
    """A Markdown summary for the job's step summary: totals by code, then every problem in a table."""
    out = ["## dekt validate", "", totals_line(diagnostics, files), ""]
    if not diagnostics:
        return "\n".join(out) + "\n"
    out += ["| 代码 code | 级别 severity | 数量 count |", "| --- | --- | --- |"]
    by_code = Counter((d.code, d.severity.value) for d in diagnostics)
    out += [f"| {code} | {sev} | {n} |" for (code, sev), n in sorted(by_code.items())]
    out += ["", "| 位置 where | 代码 code | 说明 message |", "| --- | --- | --- |"]
    for d in diagnostics[:limit]:
        out.append(f"| {_cell(d.file)}:{d.line}:{d.col} | {d.code} | {_cell(d.message)} |")
    if len(diagnostics) > limit:
        out.append(f"| … | | 另有 {len(diagnostics) - limit} 条未列出 ({len(diagnostics) - limit} more not listed) |")
    return "\n".join(out) + "\n"


def as_json(diagnostics: list[Diagnostic]) -> str:
    """A JSON list with file, line, col, code, severity and message for each diagnostic."""
    text = json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # the same string, escaped
