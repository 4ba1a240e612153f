"""A demo Git repository that shows the whole workflow: merged batches, and one batch on public notice.

The claims of a school (by default this repository's demo school) are grouped into batches the way a
department secretary submits them: one per academic year, department and registration window. Each batch
becomes a branch commit by the department's secretary and, after the department review, the public
notice (working days from the calendar) and the academic-affairs approval, a merge commit on ``main`` that
carries the review record as trailers. The latest batch stays open: its branch exists, and the
pull-request record the forge would report (approved by the department, on notice) is written beside the
repository with the moment the demo is set at, so that ``dekt build --prs … --now …`` shows it on notice.
The same source gives the same repository, byte for byte.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .diagnostics import DektError
from .provenance import merge_message
from .records import CLAIMS_DIR, load_records
from .rules import Rules, load_rules

STATE_DIR = ".dekt-demo"  # beside the repository's files, excluded from Git: what the forge would report
CARRIED = ("rules", "site", ".github", "records/students.csv")  # the repository before the first batch


@dataclass
class _Batch:
    year: str
    department: str
    period: str
    files: list[str] = field(default_factory=list)
    registered: date = date.min
    submitted: datetime | None = None
    approved: datetime | None = None
    notice: tuple[date, date] | None = None
    merged: datetime | None = None
    number: int = 0


@dataclass(frozen=True)
class DemoRepo:
    """Where the demo repository is, the pull-request record of its open batch, and the demo's moment."""

    root: Path
    prs: Path
    now: datetime


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def _next_working(rules: Rules, day: date) -> date:
    while not rules.is_working_day(day):
        day += timedelta(days=1)
    return day


def _batches(source: Path, rules: Rules) -> list[_Batch]:
    records = load_records(source, use_cache=False)
    if records.problems:
        raise DektError(f"源仓库有 {len(records.problems)} 个问题，请先运行 dekt validate (the source has problems; run dekt validate)")
    groups: dict[tuple, _Batch] = {}
    for file, result in records.files.items():
        year, dept = file.split("/")[2:4]
        first = result.entries[0] if result.entries else None
        version = rules.version_for(year)
        module = version.rules.categories[first.category].module if first and first.category in version.rules.categories else ""
        window = rules.window_for(first.date, module) if first else None
        key = (year, dept, window.period if window else "corrections")
        batch = groups.setdefault(key, _Batch(*key))
        batch.files.append(file)
        batch.registered = max([batch.registered] + [e.registered for e in result.entries])
    return list(groups.values())


def _schedule(batches: list[_Batch], rules: Rules, tz: ZoneInfo) -> tuple[_Batch, datetime]:
    """Give every batch its review dates; keep the last one open, on notice at the returned moment."""
    days = rules.school.notice.working_days

    def review(batch: _Batch, submitted: date) -> None:
        submitted = _next_working(rules, submitted)
        approved = rules.add_working_days(submitted, 1)
        start, end = rules.add_working_days(approved, 1), rules.add_working_days(approved, days)
        batch.submitted, batch.approved = _at(submitted, 9, 30, tz), _at(approved, 10, 0, tz)
        batch.notice = (start, end)
        batch.merged = _at(rules.add_working_days(end, 1), 15, 0, tz)

    for batch in batches:
        review(batch, batch.registered + timedelta(days=1))
    batches.sort(key=lambda b: (b.submitted, b.department, b.period))
    for number, batch in enumerate(batches, start=1):
        batch.number = number
    open_batch = batches[-1]
    review(open_batch, max([b.merged.date() for b in batches[:-1]] + [open_batch.registered]) + timedelta(days=1))
    now = _at(rules.add_working_days(open_batch.notice[0], 2), 10, 0, tz)
    return open_batch, now


def _stamp(moment: datetime) -> bytes:
    return b"%d +0800" % int(moment.timestamp()) if moment.utcoffset() == timedelta(hours=8) else b"%d +0000" % int(moment.timestamp())


class _Stream:
    """A ``git fast-import`` stream: blobs by path, then commits that reference them by mark."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.blobs: dict[str, int] = {}

    def blob(self, rel: str, data: bytes) -> None:
        self.mark += 1
        self.blobs[rel] = self.mark
        self.parts += [b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)), data, b"\n"]

    def commit(self, ref: str, who: str, when: datetime, message: str, files: list[str], parents: list[int]) -> int:
        self.mark += 1
        msg = message.encode()
        ident = f"{who} <{who}@demo.invalid> ".encode() + _stamp(when)
        self.parts += [b"commit %s\nmark :%d\n" % (ref.encode(), self.mark), b"author " + ident + b"\n",
                       b"committer " + ident + b"\n", b"data %d\n" % len(msg), msg, b"\n"]  # fmt: skip
        if parents:
            self.parts.append(b"from :%d\n" % parents[0])
        self.parts += [b"merge :%d\n" % p for p in parents[1:]]
        self.parts += [b"M 100644 :%d %s\n" % (self.blobs[f], f.encode()) for f in files]
        self.parts.append(b"\n")
        return self.mark


def _carried_files(source: Path) -> list[str]:
    out = []
    for item in CARRIED:
        path = source / item
        if path.is_file():
            out.append(item)
        elif path.is_dir():
            out += sorted(
                p.relative_to(source).as_posix()
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".dekt-cache" not in p.parts
            )
    return out


def _pr_record(batch: _Batch, rules: Rules, head: str, title: str) -> dict:
    """The open batch as ``gh pr view --json …`` reports it: approved by the department, on notice."""
    dept = rules.school.departments[batch.department]
    iso = lambda moment: moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "number": batch.number, "title": title, "state": "OPEN", "baseRefName": "main", "headRefOid": head,
        "author": {"login": dept.secretaries[0] if dept.secretaries else "secretary"},
        "createdAt": iso(batch.submitted), "changedFiles": len(batch.files),
        "files": [{"path": f, "additions": 0, "deletions": 0} for f in batch.files],
        "commits": [{"oid": head, "committedDate": iso(batch.submitted)}],
        "reviews": [{"author": {"login": dept.reviewers[0]}, "state": "APPROVED", "submittedAt": iso(batch.approved),
                     "body": "已核对证明材料，同意报送公示。", "commit": {"oid": head}}],
        "labels": [], "comments": [],
    }  # fmt: skip


def _title(batch: _Batch, rules: Rules) -> str:
    dept = rules.school.departments[batch.department].name
    period = batch.period if batch.period.count("-") == 1 else f"{batch.period[:9]} 第{batch.period[-1]}学期"
    return f"{dept} {period} 第二课堂申报"


def lay_out(source: Path, out: Path) -> DemoRepo:
    """Write the demo repository into ``out`` (replacing it) from the repository at ``source``."""
    rules, problems = load_rules(source)
    if rules is None:
        raise DektError("源仓库的规则无法加载，请先运行 dekt validate (the source rules do not load; run dekt validate)")
    tz = ZoneInfo(rules.school.timezone)
    batches = _batches(source, rules)
    if len(batches) < 2:
        raise DektError("演示需要至少两批申报 (the demo needs at least two batches of claims)")
    open_batch, now = _schedule(batches, rules, tz)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    stream = _Stream()
    carried = _carried_files(source)
    for rel in carried + sorted(f for b in batches for f in b.files):
        stream.blob(rel, (source / rel).read_bytes())
    aa = rules.school.academic_affairs.reviewers[0]
    start = min(b.submitted for b in batches) - timedelta(days=30)
    main = stream.commit("refs/heads/main", aa, start, "建立第二课堂成绩单仓库：规则、名册与站点\n", carried, [])
    for batch in batches[:-1]:
        dept = rules.school.departments[batch.department]
        secretary = dept.secretaries[0] if dept.secretaries else "secretary"
        title = _title(batch, rules)
        branch = stream.commit("refs/heads/main", secretary, batch.submitted, f"{title}\n", batch.files, [main])
        notice = f"{batch.notice[0]}..{batch.notice[1]}"
        message = merge_message(title, batch.number, secretary, [dept.reviewers[0]], [aa], notice)
        main = stream.commit("refs/heads/main", aa, batch.merged, message, batch.files, [main, branch])
    dept = rules.school.departments[open_batch.department]
    title = _title(open_batch, rules)
    stream.commit(f"refs/heads/batch-{open_batch.number}", dept.secretaries[0] if dept.secretaries else "secretary",
                  open_batch.submitted, f"{title}\n", open_batch.files, [main])  # fmt: skip
    subprocess.run(["git", "fast-import", "--quiet"], cwd=out, input=b"".join(stream.parts), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=out, check=True)
    head = subprocess.run(["git", "rev-parse", f"batch-{open_batch.number}"], cwd=out, capture_output=True, text=True, check=True).stdout.strip()
    state = out / STATE_DIR
    state.mkdir()
    (out / ".git" / "info" / "exclude").write_text(f"{STATE_DIR}/\n.dekt-cache/\n_build/\n")
    prs = state / "prs.json"
    prs.write_text(json.dumps([_pr_record(open_batch, rules, head, title)], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (state / "now").write_text(now.isoformat() + "\n", encoding="utf-8")
    return DemoRepo(out, prs, now)
