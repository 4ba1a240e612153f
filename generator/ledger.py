"""One student's ledger: every claim with its credits, what the caps excluded, completions and graduation.

Which rules apply. A claim is scored by the version in force in its own academic year, and caps per academic
year (a school may add some; the pilot has none) use that year's version. What spans the study period (the
research cap, the completion rules such as 团校 — whose courses are also checked by that same version — and
the graduation requirements) uses the *governing* version that ``rules/school.yaml`` (``versions``) names:
the one in force in the cohort's final year of study (the pilot's reading: its second round certified every
cohort by the adjusted rules) or in its first. A cohort no version governs has no ledger but an error (DK605).

The cap order ("most important first"). Items are taken in this order and counted while they fit
under the cap; an item that would pass it is not counted (never split), and later, smaller items
may still fit: more credits first; then the higher level; then the higher award; then the earlier
date; then by file path and position in the file. The same claims always give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from .records import Entry
from .roster import Student
from .rules import Rules
from .scoring import Score, fmt


class Item(NamedTuple):
    """One claim on the ledger (a tuple: a school has hundreds of thousands of them)."""

    entry: Entry
    year: str
    module: str
    credits: Decimal
    rule: str
    counted: bool = True
    excluded_by: str | None = None  # the id of the cap that left this item out
    cap_name: str | None = None
    cap_limit: Decimal | None = None
    level_rank: int = 0
    award_rank: int = 0
    amended: str | None = None  # "corrects" or "revokes": a later record replaced or withdrew this claim
    amended_by: str | None = None
    amend_reason: str | None = None
    custody: str | None = None  # "pending" or "uncertified": not archived under a trusted signature (dekt.custody)

    @property
    def excluded_why(self) -> str | None:
        """Why the item does not count, in words, or None when it counts."""
        if self.counted:
            return None
        if self.custody == "pending":
            return "待归档 pending：尚未经教务处签名合并，不计入、不上成绩单 (not yet archived by a signed merge)"
        if self.custody == "uncertified":
            return (
                "未经认定 not certified：来自未经教务处签名的提交，不计入 (from a commit academic affairs did not sign)"
            )
        if self.amended == "revokes":
            return f"已撤销 revoked（{self.amended_by}）：{self.amend_reason}"
        if self.amended == "corrects":
            return f"已更正 corrected（见 {self.amended_by}）：{self.amend_reason}"
        return (
            f"超出“{self.cap_name}”上限 {fmt(self.cap_limit)} 学分，按重要性排序后未计入 "
            f"(over the cap of {fmt(self.cap_limit)})"
        )

    def importance(self) -> tuple:
        """Sort key of the cap order: most important first (see the module docstring)."""
        e = self.entry
        return (-self.credits, self.level_rank, self.award_rank, e.date, e.file, e.index or 0)


@dataclass(frozen=True)
class CompletionStatus:
    """Progress towards a completion rule such as 团校."""

    id: str
    name: str
    module: str
    required_done: tuple[str, ...]
    required_missing: tuple[str, ...]
    elective_points: Decimal
    min_elective_points: Decimal
    credits: Decimal

    @property
    def complete(self) -> bool:
        return not self.required_missing and self.elective_points >= self.min_elective_points


@dataclass(frozen=True)
class ModuleTotal:
    """Credits counted in one module against its graduation minimum."""

    id: str
    name: str
    credits: Decimal
    required: Decimal

    @property
    def met(self) -> bool:
        return self.credits >= self.required


@dataclass(frozen=True)
class Ledger:
    """A student's whole record of second-classroom credits."""

    student: Student
    rules_since: str
    items: tuple[Item, ...]
    completions: tuple[CompletionStatus, ...]
    modules: tuple[ModuleTotal, ...]
    total: Decimal
    total_required: Decimal
    excluded: tuple[Item, ...] = field(default=())
    innovation: str = "research"  # the module whose credits graduation requires and award ties compare

    @property
    def innovation_credits(self) -> Decimal:
        """Credits counted in the innovation module (科研创新), the tie-breaker of the award ranking."""
        return next((m.credits for m in self.modules if m.id == self.innovation), Decimal(0))

    @property
    def capped(self) -> tuple[Item, ...]:
        """The items a cap left out."""
        return tuple(it for it in self.excluded if it.excluded_by)

    @property
    def graduation_met(self) -> bool:
        return self.total >= self.total_required and all(m.met for m in self.modules)


def _apply_cap(items: list[Item], selected: list[int], cap_id: str, cap_name: str, limit: Decimal) -> None:
    """Count the selected items in importance order while they fit under ``limit``; mark the rest."""
    running = Decimal(0)
    for i in sorted(selected, key=lambda i: items[i].importance()):
        item = items[i]
        if running + item.credits <= limit:
            running += item.credits
            continue
        items[i] = item._replace(counted=False, excluded_by=cap_id, cap_name=cap_name, cap_limit=limit)


def compute_ledger(
    student: Student,
    scored: list[tuple[Entry, Score]],
    rules: Rules,
    amended: list[tuple[Entry, Score, object]] = (),
    held: list[tuple[Entry, Score, str]] = (),
) -> Ledger:
    """Build the ledger of one student from their scored entries (and those later corrected or revoked, and
    those ``held`` back as pending or not certified: shown, never counted)."""
    governing = rules.governing(student.enrollment_year)
    if governing is None:  # check_repository reports DK605 and makes no ledger; never fall back to another version
        raise ValueError(f"no rules version governs the {student.enrollment_year} cohort")
    cohort = governing.rules
    items = sorted(
        (
            Item(
                e,
                rules.academic_year(e.date),
                s.module,
                s.credits,
                s.rule,
                level_rank=s.level_rank,
                award_rank=s.award_rank,
            )
            for e, s in scored
        ),
        key=lambda it: (it.entry.date, it.entry.file, it.entry.index or 0),
    )
    withdrawn = [
        Item(e, rules.academic_year(e.date), s.module, s.credits, s.rule, counted=False,
             amended=a.kind, amended_by=by, amend_reason=a.reason)
        for e, s, (a, by) in amended
    ]  # fmt: skip
    withdrawn += [
        Item(e, rules.academic_year(e.date), s.module, s.credits, s.rule, counted=False, custody=state)
        for e, s, state in held
    ]
    # Caps per academic year, each year by its own version, then the study-period caps of the governing version.
    for year in sorted({it.year for it in items}):
        version = rules.version_for(year)
        for cap_id, cap in version.rules.caps.items() if version else ():
            if cap.scope == "academic_year":
                chosen = [i for i, it in enumerate(items) if it.year == year and it.counted and _capped(it, cap)]
                _apply_cap(items, chosen, cap_id, cap.name, cap.max)
    for cap_id, cap in cohort.caps.items():
        if cap.scope == "study_period":
            chosen = [i for i, it in enumerate(items) if it.counted and _capped(it, cap)]
            _apply_cap(items, chosen, cap_id, cap.name, cap.max)

    completions = tuple(_completion(cid, comp, cohort, items) for cid, comp in cohort.completions.items())
    items = sorted(items + withdrawn, key=lambda it: (it.entry.date, it.entry.file, it.entry.index or 0))
    totals: dict[str, Decimal] = {m: Decimal(0) for m in cohort.modules}
    for it in items:
        if it.counted:
            totals[it.module] = totals.get(it.module, Decimal(0)) + it.credits
    for c in completions:
        if c.complete:
            totals[c.module] = totals.get(c.module, Decimal(0)) + c.credits
    names = {m: mod.name for v in rules.versions for m, mod in v.rules.modules.items()}
    modules = tuple(
        ModuleTotal(m, names.get(m, m), credits, cohort.graduation.modules.get(m, Decimal(0)))
        for m, credits in totals.items()
    )
    return Ledger(
        student=student,
        rules_since=cohort.since,
        items=tuple(items),
        completions=completions,
        modules=modules,
        total=sum(totals.values(), Decimal(0)),
        total_required=cohort.graduation.total,
        excluded=tuple(it for it in items if not it.counted),
        innovation=cohort.innovation,
    )


def _capped(item: Item, cap) -> bool:
    return item.module == cap.module if cap.module else item.entry.category == cap.category


def _completion(cid: str, comp, cohort, items: list[Item]) -> CompletionStatus:
    done = {it.entry.course for it in items if it.entry.category == comp.category and it.entry.course}
    points = sum((c.points for k, c in comp.electives.items() if k in done), Decimal(0))
    module = cohort.categories[comp.category].module
    return CompletionStatus(
        id=cid,
        name=comp.name,
        module=module,
        required_done=tuple(k for k in comp.required if k in done),
        required_missing=tuple(k for k in comp.required if k not in done),
        elective_points=points,
        min_elective_points=comp.min_elective_points,
        credits=comp.credits,
    )
