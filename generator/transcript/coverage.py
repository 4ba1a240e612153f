"""Validation's font check: every character a transcript will print must be in the configured font.

It reads the full font's character map (cached), not the subsets, and reports each missing character
at the file, line and column where it is written (roster, claim, rules), before any PDF is made.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic, diag
from ..records import ROSTER_FILE
from ..rules import SCHOOL_FILE
from . import fonts


def _where(text: str, ch: str, line: int = 1, col: int = 1) -> tuple[int, int]:
    """The first position of ``ch`` in ``text`` at or after (line, col), else (line, col)."""
    lines = text.splitlines()
    for n in range(line - 1, len(lines)):
        start = col - 1 if n == line - 1 else 0
        i = lines[n].find(ch, start)
        if i >= 0:
            return n + 1, len(lines[n][:i]) + 1
    return line, col


def _read(root: Path, rel: str, cache: dict[str, str]) -> str:
    if rel not in cache:
        try:
            cache[rel] = (root / rel).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            cache[rel] = ""
    return cache[rel]


def _rules_texts(rules) -> list[tuple[str, str]]:
    """(file, text) of every rules text a transcript prints."""
    school = rules.school
    out = [(SCHOOL_FILE, t) for t in (school.institution.name, school.institution.en, school.institution.issuer,
                                       school.transcript.note) if t]  # fmt: skip
    out += [(SCHOOL_FILE, d.name) for d in school.departments.values()]
    for v in rules.versions:
        r = v.rules
        named = [*r.levels.values(), *r.awards.values(), *r.roles.values(), *r.modules.values(), *r.categories.values(),
                 *r.caps.values(), *r.completions.values()]  # fmt: skip
        for c in r.completions.values():
            named += [*c.required.values(), *c.electives.values()]
        out += [(v.file, n.name) for n in named]
    return out


def font_problems(root: Path, rules, roster: dict, entries, locator) -> list[Diagnostic]:
    """DK701 for each character the configured fonts lack, where it is written; DK702 if a font is unusable."""
    specs = fonts.configured(rules, root)
    covered = None
    for spec in specs.values():
        try:  # the character map is cached on disk (keyed by file, size, time and face): no font is opened warm
            codes = fonts.cmap(spec, fonts.cache_dir(root))
        except Exception as exc:  # a missing file, or not a font: transcripts cannot be made
            line, col = _where(_read(root, SCHOOL_FILE, {}), "transcript:")
            return [diag("DK702", SCHOOL_FILE, line, col, font=str(spec.path), detail=str(exc).split("\n")[0])]
        covered = codes if covered is None else covered & codes
    font = specs["regular"].face
    problems: list[Diagnostic] = []
    texts: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()

    def report(file: str, ch: str, line: int = 1, col: int = 1) -> None:
        if (file, ch) in seen:
            return
        seen.add((file, ch))
        line, col = _where(_read(root, file, texts), ch, line, col)
        problems.append(diag("DK701", file, line, col, font=font, char=ch, codepoint=f"U+{ord(ch):04X}"))

    for file, text in _rules_texts(rules):
        for ch in fonts.missing(text, covered):
            report(file, ch)
    for s in roster.values():
        for ch in fonts.missing(s.name + s.class_name, covered):
            report(ROSTER_FILE, ch, s.row)
    checked: dict[str, list[str]] = {}
    for e in entries:
        lacking = checked.get(e.activity)
        if lacking is None:
            lacking = checked[e.activity] = fonts.missing(e.activity, covered)
        for ch in lacking:
            if (e.file, ch) not in seen:
                report(e.file, ch, *locator.at(e, "activity"))
    return problems
