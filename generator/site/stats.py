"""Statistics for the public site: aggregates only, never a row about one student.

Everything is computed from the ledgers (credits after caps and completions, as the transcripts show them).
The population is every student on the roster except those who withdrew (退学). A group of fewer than
``MIN_GROUP`` students (a small class) is shown without its figures, so that no average gives away one
person's credits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from ..ledger import Ledger
from ..rules import Rules

MIN_GROUP = 5
EXCLUDED_STATUSES = ("withdrawn",)
ZERO = Decimal(0)


def q2(x: Decimal | float | int) -> Decimal:
    """Two decimals, rounded half up (averages and medians)."""
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, or None for an empty whole."""
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else None


@dataclass(frozen=True)
class Named:
    id: str
    name: str
    en: str | None = None
    module: str | None = None


@dataclass
class Group:
    """Aggregates over a set of students (a department, a cohort, a class)."""

    key: str
    label: str
    students: int = 0
    totals: list[Decimal] = field(default_factory=list, repr=False)
    modules: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list), repr=False)
    met: int = 0
    at_risk: int = 0
    extra: dict = field(default_factory=dict)

    def add(self, ledger: Ledger) -> None:
        self.students += 1
        self.totals.append(ledger.total)
        for m in ledger.modules:
            self.modules[m.id].append(m.credits)
        self.met += ledger.graduation_met

    @property
    def shown(self) -> bool:
        """Small groups are not shown (privacy): see ``MIN_GROUP``."""
        return self.students >= MIN_GROUP

    @property
    def mean(self) -> Decimal:
        return q2(sum(self.totals, ZERO) / len(self.totals)) if self.totals else ZERO

    @property
    def median(self) -> Decimal:
        return q2(median(self.totals)) if self.totals else ZERO

    @property
    def met_share(self) -> Decimal | None:
        return share(self.met, self.students)

    def module_mean(self, module: str) -> Decimal:
        values = self.modules.get(module, [])
        return q2(sum(values, ZERO) / self.students) if self.students else ZERO

    def quantiles(self) -> list[Decimal]:
        """P10, P25, median, P75, P90 of the totals (nearest rank)."""
        values = sorted(self.totals)
        if not values:
            return []
        return [
            q2(values[min(len(values) - 1, max(0, round(p * (len(values) - 1))))]) for p in (0.1, 0.25, 0.5, 0.75, 0.9)
        ]


def _first_named(rules: Rules, table: str) -> list[Named]:
    """The entries of one table (``modules``, ``levels``) across every version, the first name of each kept."""
    seen: dict[str, Named] = {}
    for v in rules.versions:
        for key, item in getattr(v.rules, table).items():
            seen.setdefault(key, Named(key, item.name, item.en))
    return list(seen.values())


def modules_of(rules: Rules) -> list[Named]:
    """Every module of every version, in the order the rules list them."""
    return _first_named(rules, "modules")


def categories_of(rules: Rules) -> list[Named]:
    """Every category of every version (the latest name wins), in the rules' order."""
    seen: dict[str, Named] = {}
    for v in rules.versions:
        for cid, c in v.rules.categories.items():
            seen[cid] = Named(cid, c.name, c.en, c.module)
    order = {m.id: i for i, m in enumerate(modules_of(rules))}
    return sorted(seen.values(), key=lambda c: order.get(c.module, 99))


def levels_of(rules: Rules) -> list[Named]:
    """Every level, most important first."""
    return _first_named(rules, "levels")


def population(ledgers: dict[str, Ledger]) -> list[Ledger]:
    """The ledgers the statistics cover, in student-id order."""
    return [l for sid, l in sorted(ledgers.items()) if l.student.status not in EXCLUDED_STATUSES]


def study_year(rules: Rules, enrollment_year: int, today) -> int:
    """Which year of study (1…study_years) a cohort is in on ``today``; 0 before it starts."""
    years = rules.study_years(enrollment_year)
    current = rules.academic_year(today)
    if current < years[0]:
        return 0
    return years.index(current) + 1 if current in years else len(years)


def shortfall(ledger: Ledger, rules: Rules, today) -> dict | None:
    """How far an enrolled student is behind the pace to the graduation requirements, or None when not at risk.

    The pace is the requirement times the share of the study period begun: a student in their third of four
    years should have three quarters of each minimum. Students who already meet every requirement, and
    those no longer enrolled, are not at risk.
    """
    s = ledger.student
    if ledger.graduation_met or s.status not in ("enrolled", "suspended"):
        return None
    year = study_year(rules, s.enrollment_year, today)
    pace = Decimal(year) / rules.school.study_years
    behind = {m.id: m for m in ledger.modules if m.credits < m.required * pace}
    total_behind = ledger.total < ledger.total_required * pace
    if not behind and not total_behind:
        return None
    return {
        "year": year,
        "pace": pace,
        "modules": {m.id: (m.required - m.credits) for m in ledger.modules if m.credits < m.required},
        "total_missing": max(ledger.total_required - ledger.total, ZERO),
        "behind": sorted(behind),
    }


def _achievement_key(item) -> tuple:
    """One award counts once: team members (who carry a role) share it; others in a group file each have their own."""
    e = item.entry
    return (e.file, e.level, e.award) if e.role else (e.file, e.index)


def compute(rules: Rules, ledgers: dict[str, Ledger], today) -> dict:
    """Every figure the statistics pages show, as plain data."""
    people = population(ledgers)
    modules = modules_of(rules)
    categories = categories_of(rules)
    levels = levels_of(rules)
    departments = {k: d.name for k, d in rules.school.departments.items()}

    everyone = Group("all", "全校")
    by_dept = {k: Group(k, name) for k, name in departments.items()}
    by_cohort: dict[int, Group] = {}
    by_class: dict[tuple[str, str], Group] = {}
    cat_items, cat_credits, cat_students = Counter(), defaultdict(lambda: ZERO), defaultdict(set)
    semester_claims, semester_credits, semester_students = Counter(), defaultdict(lambda: ZERO), defaultdict(set)
    semester_module = defaultdict(lambda: ZERO)
    achievements: dict[tuple, tuple[str, str, str, str | None]] = {}
    items = counted = capped = amended = completions = 0
    for ledger in people:
        s = ledger.student
        everyone.add(ledger)
        by_dept.setdefault(s.department, Group(s.department, s.department)).add(ledger)
        by_cohort.setdefault(s.enrollment_year, Group(str(s.enrollment_year), f"{s.enrollment_year} 级")).add(ledger)
        cls = by_class.setdefault((s.department, s.class_name), Group(s.class_name, s.class_name))
        cls.add(ledger)
        if shortfall(ledger, rules, today):
            for g in (everyone, by_dept[s.department], by_cohort[s.enrollment_year], cls):
                g.at_risk += 1
        for it in ledger.items:
            items += 1
            if it.amended:
                amended += 1
                continue
            e = it.entry
            cat_items[e.category] += 1
            cat_students[e.category].add(s.id)
            sem = rules.semester(e.date)
            semester_claims[sem] += 1
            semester_students[sem].add(s.id)
            if it.counted:
                counted += 1
                cat_credits[e.category] += it.credits
                semester_credits[sem] += it.credits
                semester_module[(sem, it.module)] += it.credits
            elif it.excluded_by:
                capped += 1
            if e.level:
                achievements.setdefault(_achievement_key(it), (e.category, e.level, it.year, e.award))
        for c in ledger.completions:
            if c.complete:
                completions += 1
                comp = next((v.rules.completions[c.id] for v in rules.versions if c.id in v.rules.completions), None)
                if comp:
                    cat_credits[comp.category] += c.credits
    n = everyone.students

    semesters = sorted(semester_claims)
    level_ids = [l.id for l in levels]
    years = sorted({y for _, _, y, _ in achievements.values()})
    award_year = Counter((lvl, y) for _, lvl, y, _ in achievements.values())
    award_cat = Counter((cat, lvl) for cat, lvl, _, _ in achievements.values())
    by_level = Counter(lvl for _, lvl, _, _ in achievements.values())
    cumulative, running = [], 0
    for l in levels:
        running += by_level[l.id]
        cumulative.append((l, by_level[l.id], running))
    modules_rows = []
    for m in modules:
        earned = [next((x.credits for x in l.modules if x.id == m.id), ZERO) for l in people]
        met = sum(1 for l in people for x in l.modules if x.id == m.id and x.met)
        modules_rows.append({
            "module": m, "credits": sum(earned, ZERO), "mean": q2(sum(earned, ZERO) / n) if n else ZERO,
            "with_credits": sum(1 for c in earned if c > 0), "share": share(sum(1 for c in earned if c > 0), n),
            "met": met, "met_share": share(met, n),
        })  # fmt: skip
    category_rows = [
        {"category": c, "claims": cat_items[c.id], "credits": cat_credits[c.id], "students": len(cat_students[c.id]),
         "share": share(len(cat_students[c.id]), n)}
        for c in categories if cat_items[c.id] or cat_credits[c.id]
    ]  # fmt: skip
    return {
        "students": n,
        "withdrawn": len(ledgers) - n,
        "items": items,
        "counted": counted,
        "capped": capped,
        "amended": amended,
        "completions": completions,
        "all": everyone,
        "modules": modules,
        "module_names": {m.id: m.name for m in modules},
        "module_rows": modules_rows,
        "category_rows": category_rows,
        "departments": [g for k, g in by_dept.items() if g.students],
        "cohorts": [by_cohort[y] for y in sorted(by_cohort)],
        "cohort_rules": {y: (rules.version_for(rules.study_years(y)[0]) or rules.versions[0]).rules for y in by_cohort},
        "classes": [
            (departments.get(d, d), by_class[(d, c)])
            for d, c in sorted(
                by_class, key=lambda k: (list(departments).index(k[0]) if k[0] in departments else 99, k[1])
            )
        ],
        "histogram": histogram([l.total for l in people]),
        "total_required": sorted({l.total_required for l in people}),
        "semesters": [
            {
                "id": sem,
                "claims": semester_claims[sem],
                "credits": semester_credits[sem],
                "students": len(semester_students[sem]),
                "modules": {m.id: semester_module[(sem, m.id)] for m in modules},
            }
            for sem in semesters
        ],  # fmt: skip
        "levels": levels,
        "award_years": years,
        "award_year": {(lvl, y): award_year[(lvl, y)] for lvl in level_ids for y in years},
        "award_rows": [
            {
                "category": c,
                "levels": {lvl: award_cat[(c.id, lvl)] for lvl in level_ids},
                "total": sum(award_cat[(c.id, lvl)] for lvl in level_ids),
            }
            for c in categories
            if any(award_cat[(c.id, lvl)] for lvl in level_ids)
        ],  # fmt: skip
        "award_cumulative": cumulative,
        "achievements": len(achievements),
    }


def histogram(totals: list[Decimal]) -> dict:
    """Students per band of total credits: bands of 1, 2 or 5 credits, about a dozen of them."""
    if not totals:
        return {"width": Decimal(1), "bins": []}
    top = max(totals)
    width = next((Decimal(w) for w in (1, 2, 5, 10, 20, 50) if top / w <= 16), Decimal(100))
    count = int(top // width) + 1
    bins = [0] * count
    for t in totals:
        bins[int(t // width)] += 1
    return {
        "width": width,
        "bins": [(i * width, (i + 1) * width, c, share(c, len(totals))) for i, c in enumerate(bins)],
    }
