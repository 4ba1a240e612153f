"""Load ``rules/`` and answer the questions the rest asks of it: which version, which year, which window."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .diagnostics import DektError, Diagnostic, diag
from .models import to_model
from .models.rules import Calendar, ClassCatalogue, CreditRules, School, Window
from .yamlload import Document, load

SCHOOL_FILE = "rules/school.yaml"
CALENDAR_FILE = "rules/calendar.yaml"
CREDITS_DIR = "rules/credits"
CLASSES_FILE = "rules/classes.yaml"


@dataclass(frozen=True)
class Version:
    """One credit-rules version and the file it came from."""

    rules: CreditRules
    file: str


@dataclass(frozen=True)
class Rules:
    """Everything in ``rules/``, checked for consistency."""

    school: School
    calendar: Calendar
    versions: tuple[Version, ...]
    classes: ClassCatalogue = field(default_factory=ClassCatalogue)
    _since: tuple[str, ...] = field(init=False, repr=False)
    _holidays: frozenset[date] = field(init=False, repr=False)
    _workdays: frozenset[date] = field(init=False, repr=False)
    _year_start: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_since", tuple(v.rules.since for v in self.versions))
        object.__setattr__(self, "_holidays", frozenset(self.calendar.holidays))
        object.__setattr__(self, "_workdays", frozenset(self.calendar.workdays))
        object.__setattr__(self, "_year_start", tuple(map(int, self.calendar.year_starts.split("-"))))

    def version_for(self, year: str) -> Version | None:
        """The version in force in academic year ``year`` (the latest whose ``since`` is not after it)."""
        i = bisect_right(self._since, year)
        return self.versions[i - 1] if i else None

    def governing(self, enrollment_year: int) -> Version | None:
        """The version that decides a cohort's study-period caps, completions and graduation, per rules/school.yaml.

        ``entry_year``: the version in force in the cohort's first academic year; ``final_year``: the one in force
        in its last. None when no version is in force in that year: never a silent fallback to another version.
        """
        years = self.study_years(enrollment_year)
        year = years[0] if self.school.versions.study_period == "entry_year" else years[-1]
        return self.version_for(year)

    def academic_year(self, day: date) -> str:
        """The academic year (``2014-2015``) a day falls in."""
        start = day.year if (day.month, day.day) >= self._year_start else day.year - 1
        return f"{start}-{start + 1}"

    def semester(self, day: date) -> str:
        """The semester (``2014-2015-1``) a day falls in."""
        year = self.academic_year(day)
        month, dom = map(int, self.calendar.spring_starts.split("-"))
        spring = date(int(year[5:]), month, dom)
        return f"{year}-{2 if day >= spring else 1}"

    def window_for(self, day: date, module: str) -> Window | None:
        """The registration window for an activity on ``day`` in ``module``; a module-specific one wins."""
        periods = {self.academic_year(day), self.semester(day)}
        found = [
            w for w in self.calendar.registration if w.period in periods and (w.modules is None or module in w.modules)
        ]
        found.sort(key=lambda w: (w.modules is None, -len(w.period)))
        return found[0] if found else None

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday except holidays, plus weekend days worked in lieu (调休)."""
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``."""
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def department_keys(self) -> dict[str, str]:
        """Department ids and Chinese names, both mapped to the id (roster exports use names)."""
        keys = {dept_id: dept_id for dept_id in self.school.departments}
        keys.update({d.name: dept_id for dept_id, d in self.school.departments.items()})
        return keys

    def study_years(self, enrollment_year: int) -> list[str]:
        """The academic years of a student's study period."""
        return [f"{y}-{y + 1}" for y in range(enrollment_year, enrollment_year + self.school.study_years)]


def load_rules_or_fail(root: Path) -> Rules:
    """The rules of ``root``, or a user-facing error that says to run ``dekt validate``."""
    rules, problems = load_rules(root)
    if rules is None:
        raise DektError(
            f"rules/ 有 {len(problems)} 个问题，请先运行 dekt validate "
            f"(rules/ has {len(problems)} problems; run dekt validate)"
        )
    return rules


def _load_model(root: Path, rel: str, model):
    doc, problems = load(root / rel, rel)
    if doc is None:
        return None, None, problems
    value, problems = to_model(doc, model)
    return value, doc, problems


def load_rules(root: Path) -> tuple[Rules | None, list[Diagnostic]]:
    """Load and cross-check every rules file; return None with the reasons when they cannot be used."""
    problems: list[Diagnostic] = []
    school, school_doc, p1 = _load_model(root, SCHOOL_FILE, School)
    calendar, cal_doc, p2 = _load_model(root, CALENDAR_FILE, Calendar)
    problems += p1 + p2
    classes, p3 = ClassCatalogue(), []
    if (root / CLASSES_FILE).is_file():
        classes, _, p3 = _load_model(root, CLASSES_FILE, ClassCatalogue)
    problems += p3
    if school is not None:
        problems += _check_school(school, school_doc)
    versions: list[Version] = []
    credit_files = sorted((root / CREDITS_DIR).glob("*.yaml")) if (root / CREDITS_DIR).is_dir() else []
    if not credit_files:
        problems.append(diag("DK503", CREDITS_DIR, detail=f"{CREDITS_DIR}/*.yaml"))
    seen: dict[str, str] = {}
    for path in credit_files:
        rel = path.relative_to(root).as_posix()
        rules, doc, p = _load_model(root, rel, CreditRules)
        problems += p
        if rules is None:
            continue
        problems += check_version(rules, doc)
        if rules.since in seen:
            problems.append(
                diag(
                    "DK502",
                    rel,
                    *doc.locate(("since",)),
                    detail=f"与 {seen[rules.since]} 的生效学年相同",
                    detail_en=f"same 'since' as {seen[rules.since]}",
                )
            )
        seen[rules.since] = rel
        versions.append(Version(rules, rel))
    if calendar is not None:
        problems += _check_calendar(calendar, cal_doc, versions)
    if school is None or calendar is None or classes is None or not versions or problems:
        return None, problems
    versions.sort(key=lambda v: v.rules.since)
    return Rules(school, calendar, tuple(versions), classes), problems


def _check_school(school: School, doc: Document) -> list[Diagnostic]:
    """Who reviews research must be a department reviewer (so the forge asks them); a secretary advises no one."""
    out = []
    for dept_id, dept in school.departments.items():
        at = ("departments", dept_id)
        for key, logins in (
            ("head", [dept.head] if dept.head else []),
            ("academic_committee", dept.academic_committee),
        ):
            for i, login in enumerate(logins):
                if login not in dept.reviewers:
                    path = at + ((key,) if key == "head" else (key, i))
                    out.append(
                        diag(
                            "DK502",
                            SCHOOL_FILE,
                            *doc.locate(path),
                            detail=f"{login} 须同时列为本系部的审核人 reviewers",
                            detail_en=f"{login} must also be one of the department's reviewers",
                        )
                    )
        for login in dept.advisors:
            if login in dept.secretaries:
                out.append(
                    diag(
                        "DK502",
                        SCHOOL_FILE,
                        *doc.locate(at + ("advisors", login), key=True),
                        detail=f"{login} 是系部秘书，不能兼任指导教师",
                        detail_en=f"{login} is a secretary, not an advisor",
                    )
                )
    return out


def _check_calendar(calendar: Calendar, doc: Document, versions: list[Version]) -> list[Diagnostic]:
    modules = {m for v in versions for m in v.rules.modules}
    out = []
    for i, w in enumerate(calendar.registration):
        if w.opens > w.closes:
            out.append(
                diag(
                    "DK502",
                    doc.file,
                    *doc.locate(("registration", i, "closes")),
                    detail="截止日期早于开始日期",
                    detail_en="closes before it opens",
                )
            )
        for j, m in enumerate(w.modules or []):
            if modules and m not in modules:
                out.append(
                    diag(
                        "DK501",
                        doc.file,
                        *doc.locate(("registration", i, "modules", j)),
                        kind="模块",
                        kind_en="module",
                        value=m,
                    )
                )
    return out


def check_version(rules: CreditRules, doc: Document) -> list[Diagnostic]:
    """Cross-reference checks inside one credit-rules version: every name used is defined, tables fit."""
    out: list[Diagnostic] = []

    def undefined(path: tuple, kind: str, kind_en: str, value: str) -> None:
        out.append(diag("DK501", doc.file, *doc.locate(path), kind=kind, kind_en=kind_en, value=value))

    def inconsistent(path: tuple, zh: str, en: str) -> None:
        out.append(diag("DK502", doc.file, *doc.locate(path), detail=zh, detail_en=en))

    completion_categories = {c.category for c in rules.completions.values()}
    for cid, cat in rules.categories.items():
        at = ("categories", cid)
        if cat.module not in rules.modules:
            undefined(at + ("module",), "模块", "module", cat.module)
        for role in cat.roles or {}:
            if role not in rules.roles:
                undefined(at + ("roles", role), "角色", "role", role)
        if cat.scoring == "table":
            _check_table(rules, cat.by, cat.table, at, undefined, inconsistent)
        elif cat.scoring == "hours":
            if cat.per_hours is None or cat.credits_per_unit is None:
                inconsistent(
                    at,
                    "按时长计分需要 per_hours 和 credits_per_unit",
                    "hour-based scoring needs per_hours and credits_per_unit",
                )
        elif cat.scoring == "completion" and cid not in completion_categories:
            inconsistent(at, "completion 计分的类别需要一条结业规则", "a completion category needs a completion rule")
    for cap_id, cap in rules.caps.items():
        at = ("caps", cap_id)
        if (cap.module is None) == (cap.category is None):
            inconsistent(
                at, "限额须且只能指定 module 或 category 之一", "a cap names exactly one of module or category"
            )
        if cap.module is not None and cap.module not in rules.modules:
            undefined(at + ("module",), "模块", "module", cap.module)
        if cap.category is not None and cap.category not in rules.categories:
            undefined(at + ("category",), "类别", "category", cap.category)
    for comp_id, comp in rules.completions.items():
        at = ("completions", comp_id)
        cat = rules.categories.get(comp.category)
        if cat is None:
            undefined(at + ("category",), "类别", "category", comp.category)
        elif cat.scoring != "completion":
            inconsistent(
                at + ("category",),
                "结业规则的类别必须使用 completion 计分",
                "a completion rule's category must use completion scoring",
            )
        for course in set(comp.required) & set(comp.electives):
            inconsistent(
                at + ("electives", course),
                f"课程 {course} 既是必修又是选修",
                f"course {course} is both required and elective",
            )
    for module in rules.graduation.modules:
        if module not in rules.modules:
            undefined(("graduation", "modules", module), "模块", "module", module)
    if rules.innovation not in rules.modules:
        undefined(("innovation",), "模块", "module", rules.innovation)
    for i, level in enumerate(rules.innovation_levels or []):
        if level not in rules.levels:
            undefined(("innovation_levels", i), "级别", "level", level)
    if rules.innovation_levels is not None:
        # Research results are registered at three tiers only: a table row outside them would credit another tier.
        for cid, cat in rules.categories.items():
            if cat.module == rules.innovation and "level" in cat.by and isinstance(cat.table, dict):
                for level in cat.table:
                    if level not in rules.innovation_levels:
                        inconsistent(
                            ("categories", cid, "table", level),
                            f"科研成果只按 {'、'.join(rules.innovation_levels)} 登记，不能有“{level}”一档",
                            f"research results are registered at {', '.join(rules.innovation_levels)} only, "
                            f"not '{level}'",
                        )
    for cid, cat in rules.categories.items():
        if cat.scoring == "class":
            if not cat.passing:
                inconsistent(
                    ("categories", cid),
                    "学分制教学班计分需要 passing（合格的成绩）",
                    "class scoring needs 'passing' results",
                )
            for j, award in enumerate(cat.passing or []):
                if award not in rules.awards:
                    undefined(("categories", cid, "passing", j), "奖项", "award", award)
    return out


def _check_table(rules: CreditRules, by, table, at, undefined, inconsistent) -> None:
    dims = list(by)
    if table is None:
        inconsistent(at, "查表计分需要 table", "table scoring needs a table")
        return

    def walk(node, depth: int, path: tuple) -> None:
        if depth == len(dims):
            if isinstance(node, dict):
                inconsistent(path, "学分表层数多于 by 的维度", "the table is deeper than 'by' says")
            return
        if not isinstance(node, dict):
            inconsistent(path, f"学分表应按 {dims[depth]} 展开", f"the table should branch on {dims[depth]}")
            return
        known = rules.levels if dims[depth] == "level" else rules.awards
        for key, sub in node.items():
            if key not in known:
                undefined(path + (key,), "级别" if dims[depth] == "level" else "奖项", dims[depth], key)
            walk(sub, depth + 1, path + (key,))

    walk(table, 0, at + ("table",))
