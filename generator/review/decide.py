"""The review stage of a pull request, decided by a pure function of its forge record, the rules and the clock.

The workflow fetches the pull request (``gh pr view N --json number,author,createdAt,files,reviews,labels,
comments,commits,headRefOid,state`` is the reference shape), this module decides, the command prints and
picks the exit code. Nothing here reads the forge, Git or the clock. The decisions, in the order applied:

- Routing. A file ``records/claims/<academic year>/<department>/...`` needs that department's review; every
  other file (``rules/``, code, site, workflows) needs academic affairs. A claim file in a folder that is not a
  department in ``rules/school.yaml`` blocks the pull request: nobody may review it. ``gh`` lists at most 100
  files; when ``changedFiles`` says there are more (or exactly 100 are listed and it is absent) the pull
  request is blocked rather than routed on a partial list.
- Approvals. Only ``APPROVED`` reviews count; ``COMMENTED`` is not an approval and ``DISMISSED`` is withdrawn.
  The author's approval never counts. A department approval comes from a reviewer listed for that department;
  a pull request touching two departments needs both. An approval is current when it was given on the head
  commit, or when the optional extension ``contentIds: {oid: id}`` (written by our adapter: a hash of the
  claim blobs the pull request changes at that commit) gives the approved commit the same id as the head: a
  rebase or retitle that leaves the claims alone keeps the approval and the notice clock; a push that
  changes claims makes approvals stale. Without ``contentIds`` only approvals of the head commit count.
- Notice (公示). It starts when the last required department gets its earliest current approval, and covers
  the ``notice.working_days`` working days after that approval's date in the school's time zone (holidays
  and make-up working days from the calendar): approved on a Friday, day 1 is the next working day. It ends
  at 24:00 of the last day. Until day 1 the stage is ``department_approved``, then ``in_notice``, then
  ``ready_for_final``. The clock never restarts on an objection: the notice runs its full course.
- Objections (异议). The ``notice.objection_label`` label blocks while it is on the pull request. A
  ``CHANGES_REQUESTED`` review by a listed reviewer (any department, or academic affairs) blocks unless the
  same person later approved, or an academic-affairs reviewer (not the author) later commented
  ``/resolve <reason>`` or ``/裁定 <reason>`` on the first line. Resolutions are recorded. A resolution does
  not remove the label: if it is still there the pull request stays objected and the reasons say so.
- Final approval (认定). A current approval by an academic-affairs reviewer (not the author) given after the
  notice ended, with no open objection. A pull request with no claim files needs only that approval, with no
  notice. ``MERGED`` is ``archived`` and ``CLOSED`` is ``closed``. Only ``finally_approved`` may be merged.

Times in the input are ISO-8601 (``Z`` or an offset); ``now`` must be timezone-aware and is expected to be at
or after the latest event in the record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .diagnostics import DektError
from .rules import Rules, load_rules

GH_FIELDS = "number,author,createdAt,files,reviews,labels,comments,commits,headRefOid,state,changedFiles"
GH_FILE_CAP = 100  # gh pr view --json files returns at most this many (cli/cli#5368)
_RESOLVE = re.compile(r"^\s*(/resolve|/裁定)(?=\s|[:：]|$)[\s:：]*(.*)$")


class Stage(str, Enum):
    """Where a pull request stands; the value is a stable code, ``label`` the words."""

    SUBMITTED = "submitted"
    DEPARTMENT_APPROVED = "department_approved"
    IN_NOTICE = "in_notice"
    OBJECTED = "objected"
    READY = "ready_for_final"
    FINALLY_APPROVED = "finally_approved"
    ARCHIVED = "archived"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The stage in Chinese with an English gloss."""
        return _LABELS[self]


_LABELS = {
    Stage.SUBMITTED: "已提交，待初审 (submitted)",
    Stage.DEPARTMENT_APPROVED: "初审通过 (approved by the department)",
    Stage.IN_NOTICE: "公示中 (in public notice)",
    Stage.OBJECTED: "有异议 (objected)",
    Stage.READY: "待教务处认定 (ready for final approval)",
    Stage.FINALLY_APPROVED: "已认定 (finally approved)",
    Stage.ARCHIVED: "已归档 (archived)",
    Stage.CLOSED: "已关闭 (closed)",
}


@dataclass(frozen=True)
class Reason:
    """One reason in words, with a stable code; ``blocking`` reasons are why the merge must wait."""

    code: str
    text: str
    blocking: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Resolution:
    """An academic-affairs ruling on objections, from a ``/resolve`` comment."""

    by: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Objection:
    """An objection: the label, or a reviewer's changes-requested review; ``resolution`` None while open."""

    kind: str  # "label" or "review"
    by: str | None
    at: datetime | None
    resolution: Resolution | None = None


@dataclass(frozen=True)
class DepartmentReview:
    """One department's part: who approved (current approvals only) and when the first did."""

    department: str
    name: str
    files: int
    approvers: tuple[str, ...]
    approved_at: datetime | None


@dataclass(frozen=True)
class ReviewState:
    """The decided state of one pull request at one moment."""

    number: int
    stage: Stage
    reasons: tuple[Reason, ...]
    departments: tuple[DepartmentReview, ...] = ()
    notice_start: date | None = None
    notice_end: date | None = None
    notice_days: int = 0
    objections: tuple[Objection, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    final_approver: str | None = None
    final_approved_at: datetime | None = None
    now: datetime | None = field(default=None, compare=False)

    @property
    def mergeable(self) -> bool:
        """True only when the pull request may be merged: finally approved."""
        return self.stage is Stage.FINALLY_APPROVED

    @property
    def open_objections(self) -> tuple[Objection, ...]:
        """The objections that still block."""
        return tuple(o for o in self.objections if o.resolution is None)

    def as_dict(self) -> dict:
        """Plain data for ``--format json`` (times in UTC, dates as YYYY-MM-DD)."""
        return {
            "number": self.number,
            "stage": self.stage.value,
            "stage_label": self.stage.label,
            "mergeable": self.mergeable,
            "departments": {
                d.department: {"name": d.name, "files": d.files, "approvers": list(d.approvers), "approved_at": _iso(d.approved_at)}
                for d in self.departments
            },
            "notice": None
            if self.notice_start is None
            else {"start": self.notice_start.isoformat(), "end": self.notice_end.isoformat(), "working_days": self.notice_days},
            "objections": [
                {"kind": o.kind, "by": o.by, "at": _iso(o.at), "resolved_by": o.resolution.by if o.resolution else None}
                for o in self.objections
            ],
            "resolutions": [{"by": r.by, "at": _iso(r.at), "text": r.text} for r in self.resolutions],
            "final_approval": None if self.final_approver is None else {"by": self.final_approver, "at": _iso(self.final_approved_at)},
            "reasons": [{"code": r.code, "blocking": r.blocking, "text": r.text} for r in self.reasons],
            "now": _iso(self.now),
        }


class BadPullRequest(DektError):
    """The pull-request record cannot be read."""


# ---------------------------------------------------------------- reading the forge's record


class _Review(NamedTuple):
    login: str
    state: str
    at: datetime
    oid: str | None


class _Comment(NamedTuple):
    login: str
    body: str
    at: datetime


class _PR(NamedTuple):
    number: int
    author: str
    state: str
    head: str
    files: list[str]
    changed_files: int | None
    labels: set[str]
    reviews: list[_Review]
    comments: list[_Comment]
    content_ids: dict[str, str]


def parse_time(text: object, where: str = "now") -> datetime:
    """An ISO-8601 time with ``Z`` or an offset, as an aware datetime."""
    try:
        value = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadPullRequest(f"{where}: 不是带时区的 ISO-8601 时间：{text!r} (not an ISO-8601 time with a zone)")
    return value


def _read(pr: object, source: str) -> _PR:
    def bad(path: str, what: str, what_en: str) -> BadPullRequest:
        return BadPullRequest(f"{source}: 字段 {path} {what} (field {path} {what_en})")

    def get(obj: object, key: str, path: str, kind: type | tuple, optional: bool = False):
        value = obj.get(key) if isinstance(obj, dict) else None
        if value is None and optional:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise bad(path, "缺失或类型不对", f"is missing or of the wrong type, expected {getattr(kind, '__name__', kind)}")
        return value

    def login(obj: object, path: str) -> str:
        person = get(obj, "author", path + ".author", dict, optional=True)  # null for deleted accounts
        return get(person, "login", path + ".author.login", str) if person else "ghost"

    def when(obj: object, key: str, path: str) -> datetime:
        return parse_time(get(obj, key, f"{path}.{key}", str), f"{source}: {path}.{key}")

    if not isinstance(pr, dict):
        raise BadPullRequest(f"{source}: 应为 JSON 对象（gh pr view --json 的输出）(expected a JSON object, as gh pr view --json prints)")
    state = get(pr, "state", "state", str)
    if state not in ("OPEN", "MERGED", "CLOSED"):
        raise bad("state", f"应为 OPEN、MERGED 或 CLOSED，而不是 {state}", f"must be OPEN, MERGED or CLOSED, not {state}")
    reviews = []
    for i, r in enumerate(get(pr, "reviews", "reviews", list)):
        commit = get(r, "commit", f"reviews[{i}].commit", dict, optional=True)
        oid = get(commit, "oid", f"reviews[{i}].commit.oid", str) if commit else None
        reviews.append(_Review(login(r, f"reviews[{i}]"), get(r, "state", f"reviews[{i}].state", str), when(r, "submittedAt", f"reviews[{i}]"), oid))
    comments = [
        _Comment(login(c, f"comments[{i}]"), get(c, "body", f"comments[{i}].body", str), when(c, "createdAt", f"comments[{i}]"))
        for i, c in enumerate(get(pr, "comments", "comments", list))
    ]
    ids = get(pr, "contentIds", "contentIds", dict, optional=True) or {}
    if not all(isinstance(v, str) for v in ids.values()):
        raise bad("contentIds", "的值应为文本", "must map commit ids to text")
    when(pr, "createdAt", "pull request")
    return _PR(
        number=get(pr, "number", "number", int),
        author=login(pr, "pull request"),
        state=state,
        head=get(pr, "headRefOid", "headRefOid", str),
        files=[get(f, "path", f"files[{i}].path", str) for i, f in enumerate(get(pr, "files", "files", list))],
        changed_files=get(pr, "changedFiles", "changedFiles", int, optional=True),
        labels={get(lb, "name", f"labels[{i}].name", str) for i, lb in enumerate(get(pr, "labels", "labels", list))},
        reviews=sorted(reviews, key=lambda r: r.at),
        comments=sorted(comments, key=lambda c: c.at),
        content_ids=ids,
    )


def load_pr(path: str) -> dict:
    """Read a pull request's JSON from a file (``-`` for standard input); syntax errors carry line:col."""
    import sys

    source = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadPullRequest(f"{source}: 无法读取 (cannot read): {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadPullRequest(f"{source}:{exc.lineno}:{exc.colno}: 不是有效的 JSON (not valid JSON): {exc.msg}") from exc


# ---------------------------------------------------------------- the decision


def review_state(pr: dict, rules: Rules, now: datetime, source: str = "PR.json") -> ReviewState:
    """Decide the review stage of pull request ``pr`` (gh's JSON shape) under ``rules`` at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    p = _read(pr, source)
    school = rules.school
    tz = _zone(school.timezone)
    aa = set(school.academic_affairs.reviewers)
    listed = aa | {login for d in school.departments.values() for login in d.reviewers}
    reasons: list[Reason] = []

    def say(code: str, zh: str, en: str, blocking: bool = False) -> None:
        reasons.append(Reason(code, f"{zh} ({en})", blocking))

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    # Routing: which departments must approve, and whether anything blocks routing at all.
    claims: dict[str, int] = {}
    unknown: dict[str, str] = {}
    others: list[str] = []
    for path in p.files:
        parts = path.split("/")
        if parts[:2] != ["records", "claims"]:
            others.append(path)
        elif len(parts) >= 5 and parts[3] in school.departments:
            claims[parts[3]] = claims.get(parts[3], 0) + 1
        else:
            unknown.setdefault("/".join(parts[:4]) if len(parts) >= 5 else path, path)
    for folder in sorted(unknown):
        say("unknown-department", f"{folder} 不在 rules/school.yaml 列出的系部目录中，无人可以初审", f"{folder} is not a department folder listed in rules/school.yaml; nobody can review it", True)
    rules_files = [f for f in others if f.startswith("rules/")]
    if rules_files:
        say("rules-change", f"修改了 rules/（{len(rules_files)} 个文件），须经教务处批准", f"changes rules/ ({len(rules_files)} files): academic affairs must approve")
    if len(others) > len(rules_files):
        say("non-claim-change", f"修改了申报以外的文件（{len(others) - len(rules_files)} 个），须经教务处批准", f"changes files outside records/claims ({len(others) - len(rules_files)}): academic affairs must approve")
    listed_count = len(p.files)
    if not p.files:
        say("no-files", "合并请求没有修改任何文件", "the pull request changes no files", True)
    elif (p.changed_files or 0) > listed_count or (p.changed_files is None and listed_count >= GH_FILE_CAP):
        total = p.changed_files if p.changed_files is not None else f"≥{GH_FILE_CAP}"
        say("files-incomplete", f"文件列表不完整（列出 {listed_count} 个，共 {total} 个），无法确定由哪些系部审核", f"the file list is incomplete ({listed_count} listed of {total}); routing cannot be decided", True)
    routable = bool(p.files) and not unknown and not any(r.code == "files-incomplete" for r in reasons)

    # Approvals: current, not the author's, from the right people.
    def current(oid: str | None) -> bool:
        if oid == p.head:
            return True
        ids = p.content_ids
        return oid is not None and oid in ids and p.head in ids and ids[oid] == ids[p.head]

    dept_approvals: dict[str, list[_Review]] = {d: [] for d in claims}
    aa_approvals: list[_Review] = []
    for r in p.reviews:
        if r.state == "DISMISSED" and r.login in listed:
            say("dismissed-review", f"{r.login} 的审核已被撤销，不计", f"{r.login}'s review was dismissed and does not count")
        if r.state != "APPROVED":
            continue
        if r.login == p.author:
            say("author-approval", f"{r.login} 是提交人，本人批准不计", f"{r.login} is the author; an author's own approval never counts")
            continue
        if not current(r.oid):
            if r.login in listed:
                say("stale-approval", f"{r.login} 于 {local(r.at)} 批准的是提交 {_short(r.oid)}，此后申报已改动，须重新批准", f"{r.login} approved commit {_short(r.oid)} at {local(r.at)}; the claims changed since, approve again")
            continue
        if r.oid != p.head and r.login in listed:
            say("approval-carried-over", f"{r.login} 批准的提交 {_short(r.oid)} 与最新提交的申报内容相同（变基），批准仍有效", f"{r.login} approved commit {_short(r.oid)}, whose claims equal the head's (a rebase): the approval stands")
        matched = [d for d in claims if r.login in school.departments[d].reviewers]
        for d in matched:
            dept_approvals[d].append(r)
        if r.login in aa:
            aa_approvals.append(r)
        elif not matched:
            names = "、".join(school.departments[d].name for d in sorted(claims)) or "本合并请求"
            names_en = ", ".join(school.departments[d].en or d for d in sorted(claims)) or "this pull request"
            say("unlisted-reviewer", f"{r.login} 不是 {names} 的审核人，其批准不计", f"{r.login} is not a listed reviewer for {names_en}; the approval does not count")

    departments = []
    for d in sorted(claims):
        dept, got = school.departments[d], dept_approvals[d]
        first = min((r.at for r in got), default=None)
        approvers = tuple(dict.fromkeys(r.login for r in got))
        departments.append(DepartmentReview(d, dept.name, claims[d], approvers, first))
        if got:
            say("department-approved", f"{dept.name} 已初审：{'、'.join(approvers)}（{local(first)}）", f"{dept.en or d} approved by {', '.join(approvers)} at {local(first)}")
        else:
            say("department-pending", f"等待 {dept.name} 的审核人（{'、'.join(dept.reviewers)}）批准", f"waiting for a reviewer of {dept.en or d} ({', '.join(dept.reviewers)}) to approve", True)

    # The notice clock, from the moment the last department approved.
    notice_start = notice_end = opens = closes = None
    n = school.notice.working_days
    if claims and routable and all(d.approved_at for d in departments):
        approved_day = max(d.approved_at for d in departments).astimezone(tz).date()
        notice_start, notice_end = rules.add_working_days(approved_day, 1), rules.add_working_days(approved_day, n)
        opens = datetime.combine(notice_start, time(), tz)
        closes = datetime.combine(notice_end + timedelta(days=1), time(), tz)
        span, span_en = f"{notice_start} 至 {notice_end}（{n} 个工作日）", f"{notice_start} to {notice_end}, {n} working days"
        if now < opens:
            say("notice-scheduled", f"初审已通过，公示期为 {span}", f"approved by the department; the notice runs {span_en}", True)
        elif now < closes:
            today = now.astimezone(tz).date()
            k = sum(1 for i in range((today - notice_start).days + 1) if rules.is_working_day(notice_start + timedelta(days=i)))
            say("notice-running", f"公示中：{span}，今天是第 {k} 个工作日", f"in public notice {span_en}; today is working day {k}", True)
        else:
            say("notice-ended", f"公示期 {span} 已满", f"the notice {span_en} is over")

    # Objections and their resolutions.
    resolutions: list[Resolution] = []
    for c in p.comments:
        lines = c.body.strip().splitlines()
        m = _RESOLVE.match(lines[0]) if lines else None
        if not m:
            continue
        text = "\n".join([m.group(2).strip(), *lines[1:]]).strip()
        if c.login not in aa or c.login == p.author:
            say("resolution-not-allowed", f"{c.login} 的 {m.group(1)} 不算裁定：只有教务处审核人（非提交人）可以裁定异议", f"{c.login}'s {m.group(1)} is not a ruling: only an academic-affairs reviewer other than the author may resolve objections")
        elif not text:
            say("resolution-without-reason", f"{c.login} 的 {m.group(1)} 没有写明理由，不算裁定", f"{c.login}'s {m.group(1)} gives no reason and is not a ruling")
        else:
            resolutions.append(Resolution(c.login, c.at, text))
    objections: list[Objection] = []
    for r in p.reviews:
        if r.state != "CHANGES_REQUESTED" or r.login == p.author:
            continue
        if r.login not in listed:
            say("unlisted-objection", f"{r.login} 请求修改，但不是名单中的审核人；异议须由审核人加上“{school.notice.objection_label}”标签", f"{r.login} requested changes but is not a listed reviewer; a reviewer records an objection with the label {school.notice.objection_label}")
            continue
        if any(a.login == r.login and a.state == "APPROVED" and a.at > r.at for a in p.reviews):
            say("objection-withdrawn", f"{r.login} 于 {local(r.at)} 请求修改，之后已批准", f"{r.login} requested changes at {local(r.at)} and approved later")
            continue
        ruling = next((s for s in resolutions if s.at > r.at), None)
        objections.append(Objection("review", r.login, r.at, ruling))
        if ruling:
            say("objection-resolved", f"{r.login} 于 {local(r.at)} 提出的异议已由 {ruling.by} 裁定：{ruling.text}", f"the objection by {r.login} at {local(r.at)} was resolved by {ruling.by}: {ruling.text}")
        else:
            say("objection-review", f"{r.login} 于 {local(r.at)} 请求修改（异议），待教务处裁定", f"{r.login} requested changes at {local(r.at)} (an objection), awaiting academic affairs' ruling", True)
    label = school.notice.objection_label
    if label in p.labels:
        objections.append(Objection("label", None, None))
        if resolutions:
            last = resolutions[-1]
            say("resolved-label-remains", f"{last.by} 已于 {local(last.at)} 裁定，但“{label}”标签仍在；异议处理完毕后请移除标签", f"{last.by} posted a ruling at {local(last.at)} but the label {label} is still on; remove it once the objection is settled", True)
        else:
            say("objection-label", f"合并请求带有“{label}”标签，待教务处裁定", f"the pull request carries the label {label}, awaiting academic affairs' ruling", True)

    # Final approval by academic affairs.
    final = None
    for r in aa_approvals:
        if claims or unknown:
            if closes is None or r.at < closes:
                say("final-approval-too-early", f"{r.login} 于 {local(r.at)} 批准，早于公示期结束，不算认定；公示期满后请重新批准", f"{r.login} approved at {local(r.at)}, before the notice ended; this is not the final approval, approve again after it")
                continue
        final = final or r
    aa_names = "、".join(school.academic_affairs.reviewers)
    if final:
        say("final-approved", f"教务处 {final.login} 已于 {local(final.at)} 认定", f"finally approved by academic affairs ({final.login}) at {local(final.at)}")
    elif routable and (closes is not None and now >= closes or not claims):
        say("final-pending", f"等待教务处审核人（{aa_names}）批准认定", f"waiting for an academic-affairs reviewer ({', '.join(school.academic_affairs.reviewers)}) to approve", True)

    open_objection = any(o.resolution is None for o in objections)
    if p.state == "MERGED":
        stage = Stage.ARCHIVED
        reasons.insert(0, Reason("merged", "已合并，记入档案 (merged: archived)", True))
    elif p.state == "CLOSED":
        stage = Stage.CLOSED
        reasons.insert(0, Reason("closed", "合并请求已关闭，未合并 (the pull request was closed without merging)", True))
    elif open_objection:
        stage = Stage.OBJECTED
    elif not routable or (claims and notice_start is None):
        stage = Stage.SUBMITTED
    elif claims and now < opens:
        stage = Stage.DEPARTMENT_APPROVED
    elif claims and now < closes:
        stage = Stage.IN_NOTICE
    else:
        stage = Stage.FINALLY_APPROVED if final else (Stage.READY if claims else Stage.SUBMITTED)
    return ReviewState(
        number=p.number,
        stage=stage,
        reasons=tuple(reasons),
        departments=tuple(departments),
        notice_start=notice_start,
        notice_end=notice_end,
        notice_days=n if notice_start else 0,
        objections=tuple(objections),
        resolutions=tuple(resolutions),
        final_approver=final.login if final else None,
        final_approved_at=final.at if final else None,
        now=now,
    )


# ---------------------------------------------------------------- the command's edge


def evaluate(root: Path, pr_path: str, now_text: str | None) -> ReviewState:
    """Load the rules of ``root`` and the PR JSON at ``pr_path``; decide at ``now_text`` (default: now)."""
    rules, problems = load_rules(root)
    if rules is None:
        raise DektError(f"rules/ 有 {len(problems)} 个问题，无法判断审核状态；请先运行 dekt validate ({len(problems)} problems in rules/; run dekt validate)")
    if now_text is None:
        now = datetime.now(timezone.utc)
    else:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise DektError(f"--now {now_text!r} 不是 ISO-8601 时间 (not an ISO-8601 time, e.g. 2026-10-12T09:00:00+08:00)") from None
        if now.tzinfo is None:  # a wall-clock time is read in the school's time zone
            now = now.replace(tzinfo=_zone(rules.school.timezone))
    return review_state(load_pr(pr_path), rules, now, source="<stdin>" if pr_path == "-" else pr_path)


def state_text(state: ReviewState) -> str:
    """The stage, the notice, the approvers and every reason, for people."""
    lines = [f"#{state.number} {state.stage.label}"]
    if state.notice_start:
        lines.append(f"公示期 notice: {state.notice_start} — {state.notice_end}（{state.notice_days} 个工作日 working days）")
    for d in state.departments:
        who = "、".join(d.approvers) or "—"
        lines.append(f"初审 {d.name} ({d.department}, {d.files} 个文件 files): {who}")
    if state.final_approver:
        lines.append(f"认定 final approval: {state.final_approver}")
    for r in state.resolutions:
        lines.append(f"裁定 ruling: {r.by} {_iso(r.at)}: {r.text}")
    lines.append("原因 reasons:")
    lines += [f"  {'✗' if r.blocking else '·'} {r.text}" for r in state.reasons]
    return "\n".join(lines)


def gate_text(state: ReviewState) -> str:
    """The gate's verdict: may be merged, or why not."""
    if state.mergeable:
        return f"可以合并：#{state.number} {state.stage.label} (may be merged)"
    why = [r for r in state.reasons if r.blocking]
    return "\n".join([f"不可合并：#{state.number} {state.stage.label} (may not be merged)", *(f"  ✗ {r.text}" for r in why)])


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DektError(f"rules/school.yaml 的时区 {name} 无法识别，或系统缺少时区数据（tzdata）(unknown time zone {name}, or no tzdata installed)") from None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(oid: str | None) -> str:
    return (oid or "?")[:7]
