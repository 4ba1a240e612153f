"""Check a whole repository: rules, roster and every claim, alone and against each other."""

from __future__ import annotations

import subprocess
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from . import corrections as amend_rules
from .codeowners import check_codeowners
from .custody import Custody, certified_files
from .custody import problems as custody_problems
from .diagnostics import DektError, Diagnostic, diag, has_errors
from .ledger import Ledger, compute_ledger
from .records import CLAIMS_DIR, ROSTER_FILE, Amendment, Entry, Locator, Records, load_records
from .roster import Student, load_roster
from .rules import Rules, load_rules
from .scoring import Problem, Score, fmt, score
from .transcript.coverage import font_problems


@dataclass(frozen=True)
class Checked:
    """The repository after checking: the data, every diagnostic, and the scored entries per student."""

    root: Path
    rules: Rules | None
    roster: dict[str, Student]
    records: Records
    scored: dict[str, list[tuple[Entry, Score]]]
    diagnostics: list[Diagnostic]
    ledgers: dict[str, Ledger]
    custody: Custody | None = None  # which files the signed archive certifies (dekt.custody)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


@lru_cache(maxsize=1)
def _simplified():
    """OpenCC's Traditional-to-Simplified conversion (its maintained character and phrase tables), made once."""
    import opencc

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=65536)
def _normalize(text: str) -> str:
    """Activity names compared for duplicates: width- and case-folded, Traditional as Simplified, no punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():  # 國際進口博覽會 and 国际进口博览会 are one activity written in two scripts
        text = _simplified()(text)
    return "".join(ch for ch in text if ch.isalnum())


def score_key(e: Entry, year: str, version) -> tuple:
    """What scoring ``e`` reads: its version, its academic year (the classes open then) and its scored fields."""
    return (version.rules.since, year, e.category, e.level, e.award, e.role, e.rank, e.hours, e.course, e.credit_class)


class _Checker:
    def __init__(self, root: Path, rules: Rules, roster: dict[str, Student]):
        self.rules = rules
        self.roster = roster
        self.locator = Locator(root)
        self.problems: list[Diagnostic] = []
        self.archived_files: frozenset[str] = frozenset()  # claim files as the archive has them (dekt.custody)
        self.scores: dict[tuple, Score | list[Problem]] = {}
        self.window = lru_cache(maxsize=None)(rules.window_for)
        self.year = lru_cache(maxsize=None)(rules.academic_year)
        self.period = lru_cache(maxsize=None)(rules.study_years)
        self.now: date = date.max  # the run's moment: what is dated after it cannot be true yet
        self.governing = lru_cache(maxsize=None)(rules.governing)

    def report(self, entry: Entry, code: str, at: str | None = None, **args) -> None:
        """Record a diagnostic at the field ``at`` of ``entry`` (or at the entry itself)."""
        self.problems.append(diag(code, entry.file, *self.locator.at(entry, at), **args))

    def score(self, e: Entry, year: str, version=None) -> Score | list[Problem]:
        """Score ``e``; scoring reads only these fields, so a group file's identical claims score once.

        ``version`` overrides the version of ``year`` (a 团校 course is checked by the version that counts it).
        """
        version = version or self.rules.version_for(year)
        key = score_key(e, year, version)
        result = self.scores.get(key)
        if result is None:
            classes = {k: c for k, c in self.rules.classes.classes.items() if c.year == year}
            result = self.scores[key] = score(e, version.rules, classes)
        return result

    def version(self, e: Entry, year: str, student: Student | None):
        """The version that scores ``e``: its year's, except a completion course, which the governing version counts."""
        own = self.rules.version_for(year)
        governing = self.governing(student.enrollment_year) if student else None
        cat = governing.rules.categories.get(e.category) if governing else None
        return governing if cat is not None and cat.scoring == "completion" else own

    def advisor(self, e: Entry, result: Score, folder: tuple[str, str] | None, version) -> None:
        """A research claim names an advisor listed for its department; no other claim names one."""
        if result.module != version.rules.innovation:
            if e.advisor is not None:
                self.report(e, "DK311", "advisor", field="advisor", category=e.category)
            return
        if e.advisor is None:
            self.report(e, "DK315", None)
            return
        dept_id = folder[1] if folder else (self.roster[e.student].department if e.student in self.roster else None)
        dept = self.rules.school.departments.get(dept_id)
        if dept is not None and e.advisor not in dept.advisors:
            allowed = "、".join(f"{k}（{v}）" for k, v in dept.advisors.items()) or "（无 / none）"
            self.report(e, "DK316", "advisor", advisor=e.advisor, department=dept.name, allowed=allowed)

    def module_of(self, e: Entry) -> str | None:
        """The module ``e`` counts in, or None when it cannot be scored."""
        year = self.year(e.date)
        result = self.score(e, year) if self.rules.version_for(year) else None
        return result.module if isinstance(result, Score) else None

    def folder(self, file: str) -> tuple[str, str] | None:
        """The academic year and department a claim file's folder stands for, or None with a diagnostic."""
        parts = file[len(CLAIMS_DIR) + 1 :].split("/")
        year, dept = (parts + ["", ""])[:2]
        detail = None
        if len(parts) < 3:
            detail = ("文件不在 <学年>/<系部>/ 目录中", "the file is not in an <academic year>/<department>/ folder")
        elif not (
            len(year) == 9
            and year[4] == "-"
            and year[:4].isdigit()
            and year[5:].isdigit()
            and int(year[5:]) == int(year[:4]) + 1
        ):
            detail = (f"“{year}” 不是学年（如 2014-2015）", f"'{year}' is not an academic year such as 2014-2015")
        elif dept not in self.rules.school.departments:
            detail = (f"“{dept}” 不是 rules/school.yaml 中的系部", f"'{dept}' is not a department of rules/school.yaml")
        if detail:
            self.problems.append(diag("DK307", file, detail=detail[0], detail_en=detail[1]))
            return None
        return year, dept

    def entry(self, e: Entry, folder: tuple[str, str] | None, correction=None) -> Score | None:
        """Check one entry alone; return its score when it has no error.

        A correction (``correction``: its ``CorrectionWindow``) is registered in the correction window, not the
        registration window of its activity.
        """
        before = len(self.problems)
        for at, day, name in (
            ("date", e.date, "活动日期 activity date"),
            ("registered", e.registered, "登记日期 registration date"),
        ):
            if day > self.now:
                self.report(
                    e, "DK424", at, field=name.split()[0], field_en=name.split(" ", 1)[1], date=day, now=self.now
                )
        year = self.year(e.date)
        student = self.roster.get(e.student)
        if student is None:
            self.report(e, "DK301", "student", student=e.student)
        if folder:
            if folder[0] != year:
                self.report(e, "DK308", "date", date=e.date, actual=year, expected=folder[0])
            # An archived claim stays where it was reviewed when its student later changes department.
            if student and student.department != folder[1] and e.file not in self.archived_files:
                self.report(e, "DK302", "student", student=e.student, actual=student.department, expected=folder[1])
        if student:
            period = self.period(student.enrollment_year)
            if year not in period:
                self.report(e, "DK309", "date", student=e.student, date=e.date, period=f"{period[0]}…{period[-1]}")
        version = self.version(e, year, student)
        if version is None:
            self.report(e, "DK313", "date", year=year)
            return None
        result = self.score(e, year, version)
        if isinstance(result, list):
            for p in result:
                self.report(e, p.code, p.field, **p.args)
            return None
        self.advisor(e, result, folder, version)
        if e.credits is not None and e.credits != result.credits:
            self.report(e, "DK403", "credits", asked=fmt(e.credits), computed=fmt(result.credits), rule=result.rule)
        window = self.window(e.date, result.module)
        if correction is not None:
            # date.min: the original is missing or unscored (DK411 or its own errors say so); no window to judge by.
            inside = correction.closes and correction.opens <= e.registered <= correction.closes
            if correction.opens != date.min and not inside:
                self.report(e, "DK422", "registered", registered=e.registered, window=correction.label)
        elif window is None:
            self.report(e, "DK406", "date", date=e.date)
        elif e.registered < e.date:
            self.report(e, "DK407", "registered", registered=e.registered, date=e.date)
        elif not window.opens <= e.registered <= window.closes:
            self.report(
                e,
                "DK404",
                "registered",
                registered=e.registered,
                window=f"{window.period}：{window.opens}～{window.closes}",
            )
        return result if len(self.problems) == before else None

    def duplicates(self, entries: list[Entry]) -> set[int]:
        """Report the same student claiming the same activity twice and evidence used twice; return repeats."""
        seen_claim: dict[tuple, Entry] = {}
        seen_evidence: dict[str, tuple[str, Entry]] = {}
        repeats = set()
        for i, e in enumerate(entries):
            what = ("course", e.course) if e.course else (e.category, _normalize(e.activity), e.date)
            key = (e.student,) + what
            first = seen_claim.setdefault(key, e)
            if first is not e:
                self.report(e, "DK401", "student", student=e.student, other=first.where)
                repeats.add(i)
            if e.evidence:
                owner = e.file if e.shared_evidence else f"{e.file}#{e.index}"
                ev = _normalize(e.evidence) or e.evidence
                prev = seen_evidence.setdefault(ev, (owner, e))
                if prev[0] != owner:
                    self.report(e, "DK402", "evidence", evidence=e.evidence, other=prev[1].where)
        return repeats

    def teams(self, entries: list[Entry]) -> None:
        """In each team claim: no more leaders than its category allows (``max_leaders``, DK425), no rank twice (DK426).

        A team claim is a file of participants who share one result; participants with results of their own (each
        their own award) are individual results filed together, each of whom may lead their own entry."""
        files: dict[str, list[Entry]] = defaultdict(list)
        for e in entries:
            if e.index is not None:
                files[e.file].append(e)
        for team in files.values():
            if len({e.award for e in team}) > 1:
                continue
            version = self.rules.version_for(self.year(team[0].date))
            cat = version.rules.categories.get(team[0].category) if version else None
            leaders = [e for e in team if e.role == "leader"]
            limit = cat.max_leaders if cat else 1
            for e in leaders[limit:]:
                self.report(e, "DK425", "role", count=len(leaders), limit=limit, other=leaders[0].where)
            ranked: dict[int, Entry] = {}
            for e in team:
                if e.rank is not None and ranked.setdefault(e.rank, e) is not e:
                    self.report(e, "DK426", "rank", rank=e.rank, other=ranked[e.rank].where)

    def amendments(self, records: Records) -> dict[str, tuple[Amendment, str]]:
        """Archived files that a correction or revocation replaces: target → (amendment, the record's file)."""
        out: dict[str, tuple[Amendment, str]] = {}
        for file, result in records.files.items():
            a = result.amends
            if a is None:
                continue
            kind = ("更正", "correct") if a.kind == "corrects" else ("撤销", "revoke")
            target_dir, own_dir = a.target.rsplit("/", 1)[0], file.rsplit("/", 1)[0]
            if a.target not in records.files or a.target == file:
                self.problems.append(diag("DK411", file, a.line, a.col, kind=kind[0], kind_en=kind[1], target=a.target))
            elif target_dir.split("/")[3:4] != own_dir.split("/")[3:4]:
                self.problems.append(diag("DK413", file, a.line, a.col, expected=target_dir))
            elif a.target in out:
                self.problems.append(diag("DK412", file, a.line, a.col, target=a.target, other=out[a.target][1]))
            else:
                out[a.target] = (a, file)
        return out

    def archived(self, root: Path, base: str) -> None:
        """Report claim files that exist in ``base`` and were edited or deleted since (DK410)."""
        try:
            diff = subprocess.run(
                ["git", "diff", "--name-status", "--no-renames", "-z", base, "--", CLAIMS_DIR],
                cwd=root, capture_output=True, check=True,
            ).stdout.decode()  # fmt: skip
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = exc.stderr.decode().strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
            raise DektError(f"无法与基准 {base} 比较 (cannot compare with base {base}): {detail}") from exc
        fields = diff.split("\0")
        for status, path in zip(fields[::2], fields[1::2]):
            if status in ("M", "T"):
                self.problems.append(diag("DK410", path, action="修改", action_en="edited"))
            elif status == "D":
                self.problems.append(diag("DK410", path, action="删除", action_en="deleted"))


def check_repository(
    root: Path, *, use_cache: bool = True, base: str | None = None, now: date | None = None
) -> Checked:
    """Load and check everything under ``root``; never stops at the first problem.

    With ``base`` (a Git ref such as ``origin/main``), claim files archived there must not have been edited or
    deleted: changes to the archive arrive as correction or revocation records.

    Only what the signed archive certifies counts (``dekt.custody``): files from an untrusted commit are errors,
    files not archived yet (``base``'s pull request, the work tree) are pending; both are shown, never counted.
    ``now`` (default: today) is the run's moment: a claim dated after it is an error.
    """
    rules, problems = load_rules(root)
    records = load_records(root, use_cache=use_cache)
    custody = certified_files(root, base)
    problems += records.problems + custody_problems(custody)
    if rules is None:
        return Checked(root, None, {}, records, {}, sorted(problems), {}, custody)
    roster, roster_problems = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())
    problems += roster_problems + check_codeowners(root, rules)
    checker = _Checker(root, rules, roster)
    checker.archived_files = custody.archived
    checker.now = now or datetime.now(ZoneInfo(rules.school.timezone)).date()
    if base is not None:
        checker.archived(root, base)
    amended = checker.amendments(records)
    corrections = amend_rules.windows(rules, records, amended, custody.added_on, checker.module_of)
    problems += amend_rules.problems(root, rules, records, amended, corrections)
    entries = [e for e in records.entries if e.file not in amended]
    folders = {f: checker.folder(f) for f in records.files}
    repeats = checker.duplicates(entries)
    checker.teams(entries)
    scored: dict[str, list[tuple[Entry, Score]]] = defaultdict(list)
    held: dict[str, list] = defaultdict(list)  # checked, but not (yet) certified by the signed archive
    for i, e in enumerate(entries):
        correction = corrections.get(e.file) if records.files[e.file].amends else None
        if records.files[e.file].amends and correction is None:
            correction = amend_rules.CorrectionWindow(date.min, None)  # an original that is missing or unscored
        result = checker.entry(e, folders[e.file], correction=correction)
        if result is not None and i not in repeats:
            if custody.counts(e.file):
                scored[e.student].append((e, result))
            else:
                held[e.student].append((e, result, custody.state(e.file)))
    # A correction or revocation takes effect once it is certified; until then the original stands.
    for target, (_a, _by) in [kv for kv in amended.items() if not custody.counts(kv[1][1])]:
        del amended[target]
        for e in records.files[target].entries if custody.counts(target) else ():
            result = checker.score(e, checker.year(e.date)) if rules.version_for(checker.year(e.date)) else None
            if isinstance(result, Score) and e.student in roster:
                scored[e.student].append((e, result))
    withdrawn: dict[str, list] = defaultdict(list)
    for target, (amendment, by) in amended.items():
        for e in records.files[target].entries:
            version = checker.version(e, checker.year(e.date), roster.get(e.student))
            if version is None:
                continue
            result = checker.score(e, checker.year(e.date), version)
            if isinstance(result, Score) and e.student in roster:
                withdrawn[e.student].append((e, result, (amendment, by)))
    # Every student on the roster has a ledger: one with no claims is exactly who a counsellor must see. A cohort no
    # rules version governs (rules/school.yaml: versions) is an error on its roster row, never another version's.
    ledgers = {}
    for sid in sorted(roster):
        s = roster[sid]
        if checker.governing(s.enrollment_year) is None:
            years = rules.study_years(s.enrollment_year)
            year = years[0] if rules.school.versions.study_period == "entry_year" else years[-1]
            detail, detail_en = f"{year} 学年没有生效的版本", f"no version is in force in {year}"
            checker.problems.append(
                diag(
                    "DK605",
                    ROSTER_FILE,
                    s.row,
                    1,
                    row=s.row,
                    year=s.enrollment_year,
                    detail=detail,
                    detail_en=detail_en,
                )
            )
            continue
        ledgers[sid] = compute_ledger(s, scored.get(sid, []), rules, withdrawn.get(sid, []), held.get(sid, []))
    for ledger in ledgers.values():
        for item in ledger.capped:
            checker.report(
                item.entry, "DK405", None, cap=item.cap_name, limit=fmt(item.cap_limit), credits=fmt(item.credits)
            )
    problems += checker.problems + font_problems(root, rules, roster, records.entries, checker.locator)
    return Checked(root, rules, roster, records, dict(scored), sorted(problems), ledgers, custody)
