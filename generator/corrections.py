"""Corrections and revocations keep to the rules: same students, same academic year, inside the correction window.

A ``corrects:`` record replaces an archived claim with the claim as it should have been; it is checked like any
claim, and it may not move the claim to another student (that is a revocation and a new claim) or another
academic year. Its ``registered`` date, and a revocation's, must fall in the correction window: from the
original's archive date (the day ``main`` first had it; its registration date when Git does not know or says
earlier) to the end of the ``corrections.windows``-th registration window of the original's module that opens
after it (``rules/calendar.yaml``; one by default: until the end of the next registration window). The reason is
printed on the transcript, so it passes the font check.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NamedTuple

from .diagnostics import Diagnostic, diag
from .records import Amendment, Records
from .rules import Rules
from .transcript import fonts
from .yamlload import find, load, position


class CorrectionWindow(NamedTuple):
    """When a correction or revocation of one archived claim may be registered (``closes`` None: never)."""

    opens: date
    closes: date | None

    @property
    def label(self) -> str:
        return f"更正期限 correction window：{self.opens}～{self.closes or '—'}"


def correction_window(rules: Rules, archived_on: date, module: str) -> CorrectionWindow:
    """From ``archived_on`` to the end of the N-th registration window of ``module`` opening after it."""
    count = getattr(getattr(rules.calendar, "corrections", None), "windows", 1)
    # A module-specific window replaces the general ones for that module (as window_for decides).
    own = [w for w in rules.calendar.registration if w.modules and module in w.modules]
    if own:
        later = sorted(w.closes for w in own if w.opens > archived_on)
    else:
        later = sorted(w.closes for w in rules.calendar.registration if w.modules is None and w.opens > archived_on)
    return CorrectionWindow(archived_on, later[count - 1] if len(later) >= count else None)


def _archived_on(target: str, records: Records, added_on: dict[str, str]) -> date:
    """The day the original reached the archive; never before it was registered."""
    registered = max((e.registered for e in records.files[target].entries), default=date.min)
    day = added_on.get(target)
    return max(date.fromisoformat(day), registered) if day else registered


def windows(
    rules: Rules, records: Records, amended: dict[str, tuple[Amendment, str]], added_on: dict[str, str], module_of
) -> dict[str, CorrectionWindow]:
    """The correction window of each amendment record (keyed by the record's file)."""
    out = {}
    for target, (_a, by) in amended.items():
        original = records.files[target].entries
        if not original:
            continue
        module = module_of(original[0])
        if module is None:
            continue
        out[by] = correction_window(rules, _archived_on(target, records, added_on), module)
    return out


def problems(
    root: Path,
    rules: Rules,
    records: Records,
    amended: dict[str, tuple[Amendment, str]],
    windows_by: dict[str, CorrectionWindow],
) -> list[Diagnostic]:
    """DK420 (students changed), DK421 (academic year changed), DK422 (a revocation outside its window),
    DK423 (revoking a claim of a year without rules) and DK701 (a reason the font cannot print)."""
    out: list[Diagnostic] = []
    covered = _covered(root, rules)
    for target, (a, by) in sorted(amended.items(), key=lambda kv: kv[1][1]):
        original = records.files[target].entries
        doc = load(root / by, by)[0]
        data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        year = rules.academic_year(original[0].date) if original else None
        if year and rules.version_for(year) is None and a.kind == "revokes":
            out.append(diag("DK423", by, a.line, a.col, target=target, year=year))
        if a.kind == "corrects" and original:
            mine = records.files[by].entries
            before, after = sorted({e.student for e in original}), sorted({e.student for e in mine})
            if mine and before != after:
                out.append(
                    diag("DK420", by, mine[0].line, mine[0].col, expected="、".join(before), actual="、".join(after))
                )
            moved = next((e for e in mine if rules.academic_year(e.date) != year), None)
            if moved is not None:
                out.append(
                    diag(
                        "DK421",
                        by,
                        *_at(doc, "date", a),
                        expected=year,
                        date=moved.date,
                        actual=rules.academic_year(moved.date),
                    )
                )
        window, registered = windows_by.get(by), _date(data.get("registered"))
        if (
            a.kind == "revokes"
            and window
            and registered
            and not (window.closes and window.opens <= registered <= window.closes)
        ):
            out.append(diag("DK422", by, *_at(doc, "registered", a), registered=registered, window=window.label))
        for ch in fonts.missing(a.reason or "", covered) if covered is not None else ():
            face = rules.school.transcript.font.face
            out.append(diag("DK701", by, *_at(doc, "reason", a), font=face, char=ch, codepoint=f"U+{ord(ch):04X}"))
    return out


def _at(doc, field: str, a: Amendment) -> tuple[int, int]:
    """Where ``field`` is written in an amendment record (else where its ``corrects``/``revokes`` is)."""
    node = find(doc.root, (field,)) if doc is not None else None
    return position(node) if node is not None else (a.line, a.col)


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _covered(root: Path, rules: Rules) -> frozenset[int] | None:
    """The characters every configured transcript face has (None when a font is unusable: DK702 says so)."""
    covered = None
    try:
        for spec in fonts.configured(rules, root).values():
            codes = fonts.cmap(spec, fonts.cache_dir(root))
            covered = codes if covered is None else covered & codes
    except Exception:  # noqa: BLE001 — reported once, as DK702, by the transcript font check
        return None
    return covered
