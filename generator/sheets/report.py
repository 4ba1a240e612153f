"""An import's problems and totals for people (a cell per line), for programs (JSON) and for a pull-request comment."""

from __future__ import annotations

import json
import re

from ..diagnostics import Diagnostic, Severity
from ..scoring import fmt
from .importer import ImportResult
from .read import cell_name

_LABEL = {Severity.ERROR: "错误 error", Severity.WARNING: "警告 warning"}


def where(d: Diagnostic) -> str:
    """``签到表.xlsx!Sheet1!B12`` for a cell, the file's name for the whole file."""
    return f"{d.file}!{cell_name(d.line - 1, d.col - 1)}" if "!" in d.file else d.file


def human(result: ImportResult) -> str:
    """One line per problem at its cell, then what the import gives."""
    lines = [f"{where(d)}: {_LABEL[d.severity]} {d.code} {d.message}" for d in result.diagnostics]
    errors = sum(d.severity is Severity.ERROR for d in result.diagnostics)
    if errors:
        lines.append(f"{result.book}：{errors} 个错误，未写入任何文件。 ({errors} errors; nothing written)")
    else:
        lines.append(totals(result))
    return "\n".join(lines)


def totals(result: ImportResult) -> str:
    """Students, claims and files, and credits by module before caps, on one line."""
    fresh = sum(not p.unchanged for p in result.files)
    by_module = "，".join(f"{m} {fmt(c)}" for m, c in sorted(result.credits.items())) or "—"
    return (
        f"{result.book}：{result.students} 名学生，{result.claims} 条申报，"
        f"{len(result.files)} 个申报文件（新 {fresh}）；学分（上限前）{by_module}"
        f" ({result.students} students, {result.claims} claims, {len(result.files)} claim files, {fresh} new)"
    )


def as_json(result: ImportResult) -> str:
    """Everything as JSON: the diagnostics with their cells, the files, the totals."""
    return json.dumps(
        {
            "book": result.book,
            "sha256": result.sha256,
            "ok": result.ok,
            "diagnostics": [{**d.as_dict(), "cell": where(d)} for d in result.diagnostics],
            "files": [{"path": p.path, "unchanged": p.unchanged, "participants": p.people} for p in result.files],
            "students": result.students,
            "claims": result.claims,
            "credits": {m: fmt(c) for m, c in sorted(result.credits.items())},
        },
        ensure_ascii=False,
        indent=2,
    )


def md(text: str) -> str:
    """Text from a sheet made inert in Markdown: no link, image, mention, table break or HTML."""
    text = re.sub(r"[\r\n]+", " ", str(text))
    text = re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", text)
    return text.replace("@", "@\u200b").replace("://", ":\u200b//")


def markdown(results: list[ImportResult], limit: int = 500) -> str:
    """The pull-request comment: per file, its totals or every problem at its cell, in a table."""
    out = []
    for r in results:
        errors = [d for d in r.diagnostics if d.severity is Severity.ERROR]
        if errors:
            out += [f"### ❌ {md(r.book)}：{len(errors)} 个错误，未转换 ({len(errors)} errors, nothing converted)", ""]
        else:
            out += [f"### ✅ {md(r.book)}", "", md(totals(r)), ""]
            if r.credits:
                out += ["| 模块 module | 学分（上限前）credits before caps |", "| --- | --- |"]
                out += [f"| {md(m)} | {fmt(c)} |" for m, c in sorted(r.credits.items())]
                out.append("")
        if r.diagnostics:
            out += ["| 单元格 cell | 代码 code | 说明 message |", "| --- | --- | --- |"]
            for d in r.diagnostics[:limit]:
                out.append(f"| {md(where(d))} | {d.code} | {md(d.message)} |")
            if len(r.diagnostics) > limit:
                out.append(f"| … | | 另有 {len(r.diagnostics) - limit} 条 ({len(r.diagnostics) - limit} more) |")
            out.append("")
    return "\n".join(out) + "\n"
