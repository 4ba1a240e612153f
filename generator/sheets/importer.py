"""A filled sheet → claim files in records/claims/<学年>/<系部>/, or every problem at its cell; nothing half-written."""

from __future__ import annotations

import gc
import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ..check import _normalize, score_key
from ..diagnostics import Diagnostic, diag, has_errors
from ..files import write_atomic
from ..models.types import Text
from ..records import CLAIMS_DIR, ROSTER_FILE, Entry, Records, load_records
from ..roster import Student, load_roster
from ..rules import Rules
from ..scoring import Score, fmt, score
from . import catalog, values
from .claimtext import Activity, render
from .columns import HEADER
from .read import SheetError, read_grids
from .rows import HEADER_SEARCH, Row, read_sheet

SKIPPED_SHEETS = ("说明", "_lists")  # the template's own guide and drop-down lists
_CACHED_CELLS = (str, int, float, bool, date, type(None))  # calamine's cell types whose equal values read the same


@dataclass(frozen=True)
class Planned:
    """A claim file the import writes: its path, its text, and whether the same file is already there."""

    path: str
    text: str
    unchanged: bool
    people: int
    cells: tuple[tuple[str, int, int], ...] = ()  # each participant's id cell: (book!sheet, row, column)

    def cell_for(self, line: int) -> tuple[str, int, int]:
        """The sheet cell behind a line of this file: the participant on that line, else the activity's first row."""
        lines = self.text.splitlines()
        start = lines.index("participants:") + 2 if "participants:" in lines else None
        if start is not None and start <= line < start + len(self.cells):
            return self.cells[line - start]
        return self.cells[0]


@dataclass(frozen=True)
class ImportResult:
    """What a sheet gives: the files to write, every diagnostic, and the totals for the summary."""

    book: str
    sha256: str
    files: tuple[Planned, ...]
    diagnostics: tuple[Diagnostic, ...]
    students: int
    claims: int
    credits: dict[str, Decimal]  # module name → credits before caps

    @property
    def ok(self) -> bool:
        return not has_errors(list(self.diagnostics))


class _Import:
    def __init__(self, root: Path, rules: Rules, book: str, sha: str, *, dept, year, registered, records):
        self.root, self.rules, self.book, self.sha = root, rules, book, sha
        self.dept, self.year, self.registered = dept, year, registered
        self.roster: dict[str, Student] = load_roster(root / ROSTER_FILE, ROSTER_FILE, rules.department_keys())[0]
        self.records: Records = records
        self.problems: list[Diagnostic] = []
        self.lengths = sorted({len(s) for s in self.roster})
        self._tables: dict[str, list] = {}
        self.window = lru_cache(maxsize=None)(rules.window_for)
        self.scores: dict[tuple, object] = {}
        # A sheet repeats the same dates, hours and years on thousands of rows: each distinct one is read once.
        self.academic_year = lru_cache(maxsize=None)(rules.academic_year)
        self.version_for = lru_cache(maxsize=None)(rules.version_for)
        self.study_years = lru_cache(maxsize=None)(rules.study_years)
        self._reads: dict[tuple, values.Read] = {}

    def read(self, parse, cell: object) -> values.Read:
        """``parse(cell)``, once per distinct cell value and type (reads are immutable values)."""
        kind = type(cell)
        if kind not in _CACHED_CELLS:  # a time zone or another exotic cell: equal values may read differently
            return parse(cell)
        # -0.0 == 0.0 but hours writes them apart; a float's repr is what hours reads and tells every float apart.
        key = (parse, kind, repr(cell) if kind is float else cell)
        got = self._reads.get(key)
        if got is None:
            got = self._reads[key] = parse(cell)
        return got

    def report(self, row: Row, at: str | None, code: str, **args) -> None:
        self.problems.append(diag(code, f"{self.book}!{row.sheet}", *row.at(at), **args))

    def note(self, row: Row, name: str, read: values.Read) -> object:
        """Keep a read value; its error or note goes to the cell."""
        for got in (read.error, read.note):
            if got:
                self.report(row, name, got[0], **got[1])
        return None if read.error else read.value

    # ------------------------------------------------------------------ one row

    def student(self, row: Row) -> Student | None:
        sid = self.note(row, "student", self.read(values.student_id, row.cells["student"]))
        if sid is None:
            return None
        student = self.roster.get(sid)
        if student is None and sid.isdigit():  # a number column drops leading zeros: 0914… typed as 914…
            found = [sid.zfill(n) for n in self.lengths if n > len(sid) and sid.zfill(n) in self.roster]
            if len(found) == 1:
                student = self.roster[found[0]]
                self.report(
                    row,
                    "student",
                    "DK806",
                    value=sid,
                    student=student.id,
                    detail="补回丢失的前导零",
                    detail_en="leading zeros restored",
                )
        if student is None:
            self.report(row, "student", "DK301", student=sid)
            return None
        name = values.text(row.cells.get("name", ""))
        if name and _fold(name) != _fold(student.name):
            self.report(row, "student", "DK807", student=student.id, roster=student.name, name=name)
        if self.dept and student.department != self.dept:
            self.report(row, "student", "DK302", student=student.id, actual=student.department, expected=self.dept)
        return student

    def lookup(self, row: Row, name: str, table: dict[str, str], kind: tuple[str, str]) -> str | None:
        raw = values.text(row.cells.get(name, ""))
        if not raw:
            return None
        key = unicodedata.normalize("NFKC", raw).strip()
        found = table.get(key) or table.get(key.lower())
        if found is None:
            allowed = "、".join(dict.fromkeys(k for k, v in table.items() if not k.isascii()) or table)
            self.report(row, name, "DK816", kind=kind[0], kind_en=kind[1], value=raw, allowed=allowed)
        return found

    def tables(self, v) -> list[tuple[str, dict[str, str], tuple[str, str]]]:
        """What people may type for level, award, role and course under rules ``v``, made once per version."""
        if v.since not in self._tables:
            courses = catalog.courses(v)
            self._tables[v.since] = [
                ("level", catalog.names(v.levels), ("级别", "level")),
                ("award", catalog.names(v.awards), ("奖项", "award")),
                ("role", catalog.names(v.roles), ("角色", "role")),
                ("course", {k: k for k in courses} | {n: k for k, n in courses.items()}, ("团校课程", "course")),
                ("category", catalog.names(v.categories), ("类别", "category")),
            ]
        return self._tables[v.since][:4]

    def category(self, row: Row, version, implied: str | None) -> str | None:
        if "category" not in row.cols or values.blank(row.cells["category"]):
            if implied is None:
                self.report(row, "category", "DK815", column=HEADER["category"])
            return implied
        self.tables(version)
        return self.lookup(row, "category", self._tables[version.since][4][1], ("类别", "category"))

    def row(self, row: Row, implied: dict[str, str | None]) -> dict | None:
        """Read one row into claim fields; None when it cannot become a claim (its problems are reported)."""
        before = len(self.problems)
        student = self.student(row)
        dated = not values.blank(row.cells.get("date"))
        day = self.note(row, "date", self.read(values.day, row.cells["date"])) if dated else None
        if not dated:
            self.report(row, "date", "DK815", column=HEADER["date"])
        registered, own = self.registered, not values.blank(row.cells.get("registered"))
        if own:
            registered = self.note(row, "registered", self.read(values.day, row.cells["registered"]))
        if day is None or student is None:
            return None
        year = self.academic_year(day)
        if self.year and year != self.year:
            self.report(row, "date", "DK811", date=day, year=self.year)
        version = self.version_for(year)
        if version is None:
            self.report(row, "date", "DK313", year=year)
            return None
        period = self.study_years(student.enrollment_year)
        if year not in period:
            self.report(row, "date", "DK309", student=student.id, date=day, period=f"{period[0]}…{period[-1]}")
        v = version.rules
        out = {"student": student.id, "date": day, "registered": registered, "year": year}
        out["category"] = self.category(row, v, implied.get(v.since))
        for name, table, kind in self.tables(v):
            out[name] = self.lookup(row, name, table, kind) if name in row.cols else None
        if not values.blank(row.cells.get("hours")):
            out["hours"] = self.note(row, "hours", self.read(values.hours, row.cells["hours"]))
        if not values.blank(row.cells.get("rank")):
            out["rank"] = self.note(row, "rank", values.rank(row.cells["rank"]))
        if not values.blank(row.cells.get("credits")):
            out["credits"] = self.note(row, "credits", values.number(row.cells["credits"], "学分", "credits"))
        for name in ("evidence", "note", "advisor"):
            out[name] = values.text(row.cells.get(name, "")) or None
        self.activity_name(row, out, v, year)
        if out.get("rank") == 1:  # the leader is rank 1, which claim files leave unsaid
            out["rank"] = None
            out["role"] = out["role"] or ("leader" if "leader" in v.roles else None)
        elif out.get("rank") and out["role"] is None and "member" in v.roles:
            out["role"] = "member"
        return None if has_errors(self.problems[before:]) else out

    def activity_name(self, row: Row, out: dict, v, year: str) -> None:
        """The activity's name: the 活动名称 column, the class (教学班), or the 团校 course's name."""
        name = values.text(row.cells.get("activity", ""))
        out["credit_class"] = None
        if not values.blank(row.cells.get("credit_class")):
            text = values.text(row.cells["credit_class"])
            classes = catalog.class_catalogue(self.rules, year)
            if classes and catalog.claim_has("credit_class"):
                lookup = {c.name: cid for cid, c in classes.items()} | {cid: cid for cid in classes}
                out["credit_class"] = self.lookup(row, "credit_class", lookup, ("教学班", "credit-bearing class"))
                name = name or (classes[out["credit_class"]].name if out["credit_class"] else text)
            else:
                name = name or text
        if not name and out.get("course"):
            name = f"团校：{catalog.courses(v)[out['course']]}"
        if not name and all(values.blank(row.cells.get(f)) for f in ("course", "credit_class")):
            self.report(row, "activity", "DK815", column=HEADER["activity"])  # (an unknown course is reported as such)
        out["activity"] = name or None

    # ------------------------------------------------------------------ the whole sheet

    def implied(self, cols: dict[str, int]) -> dict[str, str | None]:
        """The category a sheet without a 类别 column stands for, per rules version: by its course, class or hours."""
        out: dict[str, str | None] = {}
        for version in self.rules.versions:
            v = version.rules
            kind = (
                "completion"
                if "course" in cols
                else "class"
                if "credit_class" in cols
                else "hours"
                if "hours" in cols
                else None
            )
            found = catalog.categories_of(v, kind) if kind else []
            out[v.since] = found[0] if len(found) == 1 else None
        return out


@lru_cache(maxsize=4096)
def _fold(name: str) -> str:
    """Names compared without width, case or spaces."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _ranges(rows: list[int]) -> str:
    return f"第{rows[0]}行起{len(rows)}人" if len(rows) > 1 else f"第{rows[0]}行"


def plan_import(
    root: Path, rules: Rules, source: Path, *, book: str | None = None, dept: str | None = None,
    year: str | None = None, registered: date | None = None, records: Records | None = None,
) -> ImportResult:  # fmt: skip
    """Read ``source`` and plan the claim files it gives, checking every row; writes nothing."""
    # Planning makes some hundred thousand small objects and hardly a reference cycle; the collector's passes over them
    # (and over the repository's claims) cost a quarter of the time, so it waits until the plan is made (and then
    # frees whatever cycles there were).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _plan(root, rules, source, book=book, dept=dept, year=year, registered=registered, records=records)
    finally:
        if was_enabled:
            gc.enable()


def _plan(
    root: Path, rules: Rules, source: Path, *, book: str | None, dept: str | None, year: str | None,
    registered: date | None, records: Records | None,
) -> ImportResult:  # fmt: skip
    book = book or source.name
    try:
        raw = source.read_bytes() if source.stat().st_size <= 20 * 1024 * 1024 else b""
        grids = read_grids(source)
    except SheetError as exc:
        return ImportResult(book, "", (), (diag("DK801", book, detail=exc.zh, detail_en=exc.en),), 0, 0, {})
    sha = hashlib.sha256(raw).hexdigest()
    records = records if records is not None else load_records(root)
    job = _Import(root, rules, book, sha, dept=dept, year=year, registered=registered or date.today(), records=records)
    read: list[dict] = []
    rows_of: list[Row] = []
    sheets = []
    for grid in grids:
        if grid.name in SKIPPED_SHEETS:
            continue
        sheet, problems = read_sheet(grid, book)
        job.problems += problems
        sheets.append((grid, sheet))
        if sheet.header is None:
            continue
        if "date" not in sheet.cols:
            job.problems.append(diag("DK803", f"{book}!{grid.name}", sheet.header + 1, 1, column=HEADER["date"]))
            continue
        implied = job.implied(sheet.cols)
        for row in sheet.rows:
            got = job.row(row, implied)
            if got is not None:
                read.append(got)
                rows_of.append(row)
    if not any(s.header is not None for _, s in sheets):
        for grid, _ in sheets:
            if any(not values.blank(c) for r in grid.rows for c in r) or len(sheets) == 1:
                job.problems.append(diag("DK802", f"{book}!{grid.name}", 1, 1, rows=HEADER_SEARCH))
    if not any(s.rows for _, s in sheets) and not has_errors(job.problems):
        job.problems.append(diag("DK819", book))
    activities = _group(job, read, rows_of)
    planned, entries = _render_all(job, activities)
    _cross_check(job, planned, entries)
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, result, version in entries:
        if isinstance(result, Score):
            credits[version.rules.modules[result.module].name] += result.credits
    students = {e.student for e, _, _, _ in entries}
    return ImportResult(
        book, sha, tuple(planned), tuple(sorted(set(job.problems))), len(students), len(entries), dict(credits)
    )


def _group(job: _Import, read: list[dict], rows_of: list[Row]) -> list[Activity]:
    """Rows of one activity (same name, category, date, level, registration, department) become one file."""
    groups: dict[tuple, Activity] = {}
    for got, row in zip(read, rows_of):
        if got["category"] is None or got["activity"] is None:
            continue
        dept = job.dept or job.roster[got["student"]].department
        key = (dept, got["year"], got["category"], _normalize(got["activity"]), got["date"], got["level"],
               got["registered"], got["credit_class"], got["advisor"])  # fmt: skip
        act = groups.get(key)
        if act is None:
            fields = {k: got[k] for k in ("activity", "category", "date", "registered", "level", "credit_class")}
            if catalog.claim_has("advisor"):
                fields["advisor"] = got["advisor"]
            act = groups[key] = Activity(f"{CLAIMS_DIR}/{got['year']}/{dept}", fields)
        act.people.append(
            {
                k: got.get(k)
                for k in ("student", "role", "rank", "award", "hours", "course", "credits", "evidence", "note")
            }
        )
        act.rows.append(row)
    return list(groups.values())


def _render_all(job: _Import, activities: list[Activity]) -> tuple[list[Planned], list[tuple]]:
    """Write each activity's text, read it back with the claim parser, and score every entry as validation will."""
    planned: list[Planned] = []
    entries: list[tuple] = []
    for act in activities:
        first = act.rows[0]
        evidence = f"{job.book} sha256:{job.sha} {first.sheet} {_ranges([r.row + 1 for r in act.rows])}"
        act.fields["evidence"] = evidence
        if len(act.people) == 1 and act.people[0].get("evidence"):
            act.fields["evidence"] = f"{act.people[0].pop('evidence')}；{evidence}"
        # The name leaves out a registration date that came from the command line (default: today), so that importing
        # the same sheet again another day names the same files; a 登记日期 column is the sheet's own and counts.
        reg = None if values.blank(first.cells.get("registered")) else act.fields["registered"]
        key = (
            "|".join(str(act.fields.get(k)) for k in ("activity", "category", "date", "level", "credit_class"))
            + f"|{reg}"
        )
        digest = hashlib.sha256(f"{job.sha}|{act.folder}|{key}".encode()).hexdigest()[:10]
        rel = f"{act.folder}/{act.folder.rsplit('/', 1)[1]}-{act.fields['date']}-{act.fields['category']}-{digest}.yaml"
        if not _texts_fit(job, act):
            continue
        text = render(act)
        path = job.root / rel
        existing = path.read_text(encoding="utf-8") if path.is_file() else None
        if existing is not None and _unregistered(existing) == _unregistered(text):
            text = existing  # imported before on another day: keep the registration date it was given then
            kept = re.search(r"^registered: ([0-9-]+)$", text, re.MULTILINE)
            act.fields["registered"] = date.fromisoformat(kept.group(1)) if kept else act.fields["registered"]
        elif existing is not None:
            job.report(first, "student", "DK817", file=rel)
        cells = tuple((f"{job.book}!{r.sheet}", *r.at("student")) for r in act.rows)
        planned.append(Planned(rel, text, existing == text, len(act.people), cells))
        version = job.version_for(job.academic_year(act.fields["date"]))
        for entry, row in zip(_entries(act, rel), act.rows):
            entries.append((entry, row, _score(job, entry, row, version), version))
    return planned, entries


_TEXT = TypeAdapter(Text)


def _texts_fit(job: _Import, act: Activity) -> bool:
    """Free text from the sheet fits a claim file's text fields (1–500 characters), each checked at its cell."""
    ok = True
    checks = [("activity", act.fields["activity"], act.rows[0])]
    checks += [(f, p.get(f), row) for p, row in zip(act.people, act.rows) for f in ("evidence", "note")]
    for name, value, row in checks:
        if value is None:
            continue
        try:
            _TEXT.validate_python(value)
        except ValidationError:
            job.report(
                row,
                name,
                "DK818",
                value=value[:40],
                kind="文本",
                kind_en="text",
                detail="（1–500 字）",
                detail_en=" (1–500 characters)",
            )
            ok = False
    return ok


def _entries(act: Activity, rel: str) -> list[Entry]:
    """The entries validation will read from this file, built from the same values the text was written from."""
    f = act.fields
    single = len(act.people) == 1
    out = []
    for i, p in enumerate(act.people):
        own_evidence = p.get("evidence")
        values_ = {
            "file": rel, "index": None if single else i, "line": 1, "col": 1,
            "student": p["student"], "category": f["category"], "activity": f["activity"], "date": f["date"],
            "registered": f["registered"], "level": f.get("level"),
            "award": p.get("award"), "role": p.get("role"), "rank": p.get("rank"),
            "hours": Decimal(p["hours"]) if p.get("hours") is not None else None, "course": p.get("course"),
            "credits": Decimal(p["credits"]) if p.get("credits") is not None else None,
            "evidence": own_evidence or f.get("evidence"), "shared_evidence": not single and own_evidence is None,
            "advisor": f.get("advisor"), "credit_class": f.get("credit_class"),
        }  # fmt: skip
        out.append(Entry(**values_))
    return out


def _unregistered(text: str) -> str:
    """A claim file's text without its registration date line."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("registered:"))


def _score(job: _Import, e, row: Row, version) -> Score | None:
    """Score like validation does: the category's fields, the credit table, stated credits, the registration window."""
    before = len(job.problems)
    year = job.academic_year(e.date)
    key = score_key(e, year, version)
    result = job.scores.get(key)
    if result is None:
        result = job.scores[key] = score(e, version.rules, catalog.class_catalogue(job.rules, year))
    if isinstance(result, list):
        for p in result:
            job.report(row, p.field, p.code, **p.args)
        return None
    if e.credits is not None and e.credits != result.credits:
        job.report(row, "credits", "DK403", asked=fmt(e.credits), computed=fmt(result.credits), rule=result.rule)
    window = job.window(e.date, result.module)
    at = "registered" if "registered" in row.cols and not values.blank(row.cells.get("registered")) else "date"
    if window is None:
        job.report(row, "date", "DK406", date=e.date)
    elif e.registered < e.date:
        job.report(row, at, "DK407", registered=e.registered, date=e.date)
    elif not window.opens <= e.registered <= window.closes:
        job.report(
            row, at, "DK404", registered=e.registered, window=f"{window.period}：{window.opens}～{window.closes}"
        )
    return result if len(job.problems) == before else None


def _claim_key(e) -> tuple:
    """What makes two entries the same claim, as validation's duplicate check (DK401) decides."""
    return (e.student,) + (("course", e.course) if e.course else (e.category, _normalize(e.activity), e.date))


def _cross_check(job: _Import, planned: list[Planned], entries: list[tuple]) -> None:
    """Rows repeated in the sheet, claims already in the repository, and evidence already used."""
    ours = {p.path for p in planned if p.unchanged}
    archived: dict[tuple, str] = {}
    evidence: dict[str, str] = {}
    for e in job.records.entries:
        if e.file in ours:
            continue  # the same file imported before: re-importing changes nothing and is no duplicate
        archived.setdefault(_claim_key(e), e.file)
        if e.evidence and not e.shared_evidence:
            evidence.setdefault(_normalize(e.evidence) or e.evidence, e.file)
    seen: dict[tuple, Row] = {}
    seen_evidence: dict[str, Row] = {}
    for e, row, _, _ in entries:
        key = _claim_key(e)
        if key in seen:
            job.report(row, "student", "DK812", other=f"{job.book}!{seen[key].cell('student')}")
        else:
            seen[key] = row
        if key in archived:
            job.report(row, "student", "DK813", student=e.student, other=archived[key])
        own = values.text(row.cells.get("evidence", ""))
        if own:
            norm = _normalize(own) or own
            if norm in seen_evidence:
                job.report(
                    row, "evidence", "DK402", evidence=own, other=f"{job.book}!{seen_evidence[norm].cell('evidence')}"
                )
            elif norm in evidence:
                job.report(row, "evidence", "DK402", evidence=own, other=evidence[norm])
            seen_evidence.setdefault(norm, row)


def write_import(root: Path, result: ImportResult) -> list[str]:
    """Write the planned files (only when there is no error); return the paths written anew."""
    if not result.ok:
        raise ValueError("an import with errors writes nothing")
    written = []
    for p in result.files:
        if not p.unchanged:
            write_atomic(root / p.path, p.text)
            written.append(p.path)
    return written
