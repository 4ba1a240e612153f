"""The decision: a pull request's review stage from its forge record, the rules and the clock, nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..diagnostics import DektError
from ..models.rules import School
from ..rules import Rules
from .forge import GH_FILE_CAP, BadPullRequest, PullRequest, Review, login_key, read_pr
from .model import DepartmentReview, Objection, Reason, Resolution, ReviewState, Stage

_RESOLVE = re.compile(r"^\s*(/resolve|/裁定)(?=\s|[:：]|$)[\s:：]*(.*)$")


class _Route(NamedTuple):
    claims: dict[str, int]  # department -> claim files it must review
    others: int  # files outside records/claims: academic affairs approves them
    routable: bool  # every file has an owner and the file list is complete


class _Notice(NamedTuple):
    start: date
    end: date
    opens: datetime  # 00:00 of the first day, school time
    closes: datetime  # 24:00 of the last day


class _Reasons:
    """The reasons as they are found, in order; times shown in the school's zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.items: list[Reason] = []
        self.tz = tz

    def say(self, code: str, zh: str, en: str, blocking: bool = False) -> None:
        self.items.append(Reason(code, f"{zh} ({en})", blocking))

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")


def zone(name: str) -> ZoneInfo:
    """The school's time zone; a DektError when it is unknown here."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DektError(
            f"无法识别时区 {name}，或系统缺少时区数据 tzdata (unknown time zone {name}, or tzdata is missing)"
        ) from None


def review_state(pr: dict, rules: Rules, now: datetime, source: str = "PR.json") -> ReviewState:
    """Decide the review stage of pull request ``pr`` (gh's JSON shape) under ``rules`` at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    p = read_pr(pr, source)
    school = rules.school
    out = _Reasons(zone(school.timezone))
    route = _route(p, school, out)
    advisors = _advisor_logins(pr, source)
    dept_approvals, aa_approvals = _approvals(p, school, route, out, frozenset(map(login_key, advisors.values())))
    advised = _advised(p, school, route, advisors, out)
    departments = _departments(school, route, dept_approvals, out, advised)
    notice = _notice(rules, route, departments, now, out)
    resolutions = _resolutions(p, school, out)
    objections = _objections(p, school, resolutions, out)
    final = _final(school, route, aa_approvals, notice, now, any(o.resolution is None for o in objections), out)
    stage = _stage(p, route, notice, objections, final, now, out)
    if p.timeline is None and p.state == "OPEN":
        # Without the timeline a dismissed objection or a removed label cannot be seen: never pass on a guess.
        out.say(
            "timeline-missing",
            "记录中没有合并请求的时间线（timelineItems），无法确认异议是否被撤销审核或移除标签，不能认定",
            "the record has no timelineItems, so a dismissed objection or a removed label cannot be ruled out:"
            " no final approval",
            True,
        )
        stage = Stage.READY if stage is Stage.FINALLY_APPROVED else stage
    return ReviewState(
        number=p.number,
        stage=stage,
        reasons=tuple(out.items),
        departments=tuple(departments),
        notice_start=notice.start if notice else None,
        notice_end=notice.end if notice else None,
        notice_days=school.notice.working_days if notice else 0,
        objections=tuple(objections),
        resolutions=tuple(resolutions),
        final_approver=final.login if final else None,
        final_approved_at=final.at if final else None,
        now=now,
    )


def _route(p: PullRequest, school: School, out: _Reasons) -> _Route:
    """Which departments must approve (from each claim file's folder), and whether every file has an owner."""
    claims: dict[str, int] = {}
    unknown: set[str] = set()
    rules_files = other_files = 0
    for path in p.files:
        parts = path.split("/")
        if parts[:2] != ["records", "claims"]:
            rules_files += parts[0] == "rules"
            other_files += parts[0] != "rules"
        elif len(parts) >= 5 and parts[3] in school.departments:
            claims[parts[3]] = claims.get(parts[3], 0) + 1
        else:
            unknown.add("/".join(parts[:4]) + "/" if len(parts) >= 5 else path)
    for folder in sorted(unknown):
        out.say(
            "unknown-department",
            f"{folder} 不是 rules/school.yaml 中系部的目录，无人可以初审",
            f"{folder} is not the folder of a department in rules/school.yaml; nobody can review it",
            True,
        )
    if rules_files:
        out.say(
            "rules-change",
            f"修改了 rules/ 中的 {rules_files} 个文件，须经教务处批准",
            f"changes {rules_files} file(s) in rules/: academic affairs must approve",
        )
    if other_files:
        out.say(
            "non-claim-change",
            f"修改了申报以外的 {other_files} 个文件，须经教务处批准",
            f"changes {other_files} file(s) outside records/claims: academic affairs must approve",
        )
    complete = True
    if not p.files:
        out.say("no-files", "合并请求没有修改任何文件", "the pull request changes no files", True)
    elif (p.changed_files or 0) > len(p.files) or (p.changed_files is None and len(p.files) >= GH_FILE_CAP):
        total = p.changed_files if p.changed_files is not None else f"≥{GH_FILE_CAP}"
        out.say(
            "files-incomplete",
            f"文件列表不完整（列出 {len(p.files)} 个，共 {total} 个），无法确定由谁审核",
            f"the file list is incomplete ({len(p.files)} listed of {total}); who reviews cannot be decided",
            True,
        )
        complete = False
    return _Route(claims, rules_files + other_files, bool(p.files) and complete and not unknown)


def _keys(logins) -> dict[str, str]:
    """Login keys (GitHub compares logins case-insensitively) mapped to the spelling the rules use."""
    return {login_key(login): login for login in logins if login_key(login)}


def _listed(school: School) -> dict[str, str]:
    return _keys(
        [*school.academic_affairs.reviewers, *(login for d in school.departments.values() for login in d.reviewers)]
    )


def _approvals(
    p: PullRequest, school: School, route: _Route, out: _Reasons, advisors: frozenset = frozenset()
) -> tuple[dict[str, list[Review]], list[Review]]:
    """The approvals that count: current, not by the author or a commit's author, by a reviewer listed for the part."""
    aa = _keys(school.academic_affairs.reviewers)
    listed = _listed(school)
    ids = p.content_ids

    def current(oid: str | None) -> bool:
        # A rebase keeps the approval when the adapter's content id of the approved commit equals the head's.
        return oid == p.head or (oid is not None and oid in ids and p.head in ids and ids[oid] == ids[p.head])

    by_dept: dict[str, list[Review]] = {d: [] for d in route.claims}
    by_aa: list[Review] = []
    for r in p.reviews:
        if r.state == "DISMISSED" and r.key in listed:
            out.say(
                "dismissed-review",
                f"{r.login} 的审核已被撤销，不计",
                f"{r.login}'s review was dismissed and does not count",
            )
        if r.state != "APPROVED":
            continue
        if not r.key:
            out.say(
                "deleted-account",
                f"已注销的账号（{r.login or '空'}）的批准不计",
                f"an approval by a deleted account or an app ({r.login or 'empty login'}) never counts",
            )
            continue
        if r.key == p.author_key:
            out.say(
                "author-approval",
                f"{r.login} 是提交人，本人的批准不计",
                f"{r.login} is the author; the author's own approval never counts",
            )
            continue
        if r.key in p.commit_authors:
            out.say(
                "commit-author-approval",
                f"{r.login} 是本合并请求中提交的作者，其批准不计",
                f"{r.login} authored a commit of this pull request; their approval does not count",
            )
            continue
        if not current(r.oid):
            if r.key in listed:
                out.say(
                    "stale-approval",
                    f"{r.login} 于 {out.local(r.at)} 批准的是提交 {_short(r.oid)}，其后内容已改动，须重新批准",
                    f"{r.login} approved commit {_short(r.oid)} at {out.local(r.at)};"
                    " the content changed since, approve again",
                )
            continue
        if r.oid != p.head and r.key in listed:
            out.say(
                "approval-carried-over",
                f"{r.login} 批准的提交 {_short(r.oid)} 与最新提交内容相同（变基），批准仍有效",
                f"{r.login} approved commit {_short(r.oid)}, whose content equals the head's (a rebase):"
                " the approval stands",
            )
        # The rules' spelling of the login, so that the record (trailers, provenance) names people one way.
        r = r._replace(login=listed.get(r.key, r.login))
        matched = [d for d in route.claims if r.key in _keys(school.departments[d].reviewers)]
        for d in matched:
            by_dept[d].append(r)
        if r.key in aa:
            by_aa.append(r)
        elif not matched and r.key not in advisors:  # an advisor's approval is weighed in _advised
            names = "、".join(school.departments[d].name for d in sorted(route.claims)) or school.academic_affairs.name
            names_en = ", ".join(school.departments[d].en or d for d in sorted(route.claims)) or "academic affairs"
            out.say(
                "unlisted-reviewer",
                f"{r.login} 不是 {names} 的审核人，其批准不计",
                f"{r.login} is not a listed reviewer for {names_en}; the approval does not count",
            )
    return by_dept, by_aa


def _advisor_logins(pr: dict, source: str) -> dict[str, str]:
    """The research claims' advisors the adapter read from the head (``researchAdvisors``: path → login)."""
    raw = pr.get("researchAdvisors") if isinstance(pr, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise BadPullRequest(
            f"{source}: researchAdvisors 应为 路径 → 账号 的对象 (researchAdvisors must map paths to logins)"
        )
    return raw


def _advised(
    p: PullRequest, school: School, route: _Route, advisors: dict[str, str], out: _Reasons
) -> dict[str, datetime | None]:
    """Per department with research claims: when the last of their advisors approved (None while one has not).

    The pilot report has the advisor (指导教师) assess a research result before the department head and the
    academic committee review it, so a department's approval counts only from the moment every advisor of its
    research claims in this pull request has approved the current content (the author's own never counts).
    """
    ids = p.content_ids
    approved: dict[str, datetime] = {}
    for r in p.reviews:
        current = r.oid == p.head or (r.oid in ids and p.head in ids and ids[r.oid] == ids[p.head])
        if r.state == "APPROVED" and r.key and r.key != p.author_key and r.key not in p.commit_authors and current:
            approved.setdefault(r.key, r.at)
    result: dict[str, datetime | None] = {}
    for d in sorted(route.claims):
        listed = _keys(school.departments[d].advisors)
        needed = sorted({login for path, login in advisors.items() if path in p.files and path.split("/")[3:4] == [d]})
        times = []
        for login in needed:
            key = login_key(login)
            if key in approved and key in listed:
                times.append(approved[key])
                out.say(
                    "advisor-approved",
                    f"指导教师 {listed[key]} 已于 {out.local(approved[key])} 批准（初步鉴定）",
                    f"the advisor {listed[key]} approved (first assessment) at {out.local(approved[key])}",
                )
            else:
                why = "批准" if key in listed else "批准；且其不是本系部所列的指导教师"
                out.say(
                    "advisor-pending",
                    f"科研申报须先由指导教师 {login} {why}，{school.departments[d].name}的初审才计入",
                    f"the advisor {login} must approve the research claims before the department's review counts",
                    True,
                )
        if needed:
            result[d] = max(times) if len(times) == len(needed) else None
    return result


def _departments(
    school: School, route: _Route, approvals: dict[str, list[Review]], out: _Reasons, advised: dict | None = None
) -> list[DepartmentReview]:
    """Each department's part: approved (by whom, first when) or waiting; with research, not before its advisors."""
    result = []
    for d in sorted(route.claims):
        dept, got = school.departments[d], approvals[d]
        approvers = tuple(dict.fromkeys(r.login for r in got))
        first = got[0].at if got else None  # reviews are sorted by time
        if d in (advised or {}):
            # Research: the department's review is its head's and academic committee's (rules/school.yaml).
            research = _keys(dept.research_reviewers)
            got = [r for r in got if r.key in research] if research else got
            approvers = tuple(dict.fromkeys(r.login for r in got))
            first = got[0].at if got else None
            if advised[d] is None:  # an advisor has not approved: the department's review does not count yet
                result.append(DepartmentReview(d, dept.name, route.claims[d], approvers, None))
                continue
            first = max(first, advised[d]) if first else None
        result.append(DepartmentReview(d, dept.name, route.claims[d], approvers, first))
        if got:
            out.say(
                "department-approved",
                f"{dept.name} 已初审：{'、'.join(approvers)}（{out.local(first)}）",
                f"{dept.en or d} approved by {', '.join(approvers)} at {out.local(first)}",
            )
        else:
            out.say(
                "department-pending",
                f"等待 {dept.name} 的审核人（{'、'.join(dept.reviewers)}）批准",
                f"waiting for a reviewer of {dept.en or d} ({', '.join(dept.reviewers)}) to approve",
                True,
            )
    return result


def _notice(
    rules: Rules, route: _Route, departments: list[DepartmentReview], now: datetime, out: _Reasons
) -> _Notice | None:
    """The notice period: N working days after the day the last department approved."""
    if not route.claims or not route.routable or not all(d.approved_at for d in departments):
        return None
    n = rules.school.notice.working_days
    approved_day = max(d.approved_at for d in departments).astimezone(out.tz).date()
    start, end = rules.add_working_days(approved_day, 1), rules.add_working_days(approved_day, n)
    described = {d.year for d in rules.calendar.holidays}  # every year has public holidays: none listed, not described
    missing = sorted(set(range((approved_day + timedelta(days=1)).year, end.year + 1)) - described)
    if missing:
        years = "、".join(map(str, missing))
        out.say(
            "calendar-missing",
            f"公示期将跨入 {years} 年，而 rules/calendar.yaml 没有该年的节假日与调休，无法计算公示期；请教务处补充校历",
            f"the notice would run into {', '.join(map(str, missing))}, a year rules/calendar.yaml does not describe "
            f"(no holidays or make-up days): the notice cannot be counted until academic affairs adds it",
            True,
        )
        return None
    notice = _Notice(
        start, end, datetime.combine(start, time(), out.tz), datetime.combine(end + timedelta(days=1), time(), out.tz)
    )
    span, span_en = f"{start} 至 {end}（{n} 个工作日）", f"{start} to {end}, {n} working days"
    if now < notice.opens:
        out.say(
            "notice-scheduled",
            f"初审已通过，公示期为 {span}",
            f"approved by the department; the notice runs {span_en}",
            True,
        )
    elif now < notice.closes:
        today = now.astimezone(out.tz).date()
        k = sum(rules.is_working_day(start + timedelta(days=i)) for i in range((today - start).days + 1))
        out.say(
            "notice-running",
            f"公示中：{span}，今天是第 {k} 个工作日",
            f"in public notice {span_en}; today is working day {k}",
            True,
        )
    else:
        out.say("notice-ended", f"公示期 {span} 已满", f"the notice {span_en} is over")
    return notice


def _resolutions(p: PullRequest, school: School, out: _Reasons) -> list[Resolution]:
    """Rulings: comments whose first line is ``/resolve <reason>`` or ``/裁定 <reason>`` by academic affairs."""
    found = []
    for c in p.comments:
        lines = c.body.strip().splitlines()
        m = _RESOLVE.match(lines[0]) if lines else None
        if not m:
            continue
        text = "\n".join([m.group(2).strip(), *lines[1:]]).strip()
        if c.key not in _keys(school.academic_affairs.reviewers) or c.key == p.author_key:
            out.say(
                "resolution-not-allowed",
                f"{c.login} 的 {m.group(1)} 不算裁定：只有教务处审核人（非提交人）可以裁定异议",
                f"{c.login}'s {m.group(1)} is not a ruling:"
                " only an academic-affairs reviewer other than the author may resolve",
            )
        elif not text:
            out.say(
                "resolution-without-reason",
                f"{c.login} 的 {m.group(1)} 没有写明理由，不算裁定",
                f"{c.login}'s {m.group(1)} gives no reason and is not a ruling",
            )
        else:
            found.append(Resolution(_keys(school.academic_affairs.reviewers)[c.key], c.at, text))
    return found


def _objections(p: PullRequest, school: School, resolutions: list[Resolution], out: _Reasons) -> list[Objection]:
    """Objections once raised, each open until a later ruling: changes requested by a listed reviewer (dismissed
    or not) and every time the label was added (removed or not); the label still on after a ruling blocks too."""
    listed = _listed(school)
    label = school.notice.objection_label
    found = []
    raised = [(r.key, r.login, r.at, None) for r in p.reviews if r.state == "CHANGES_REQUESTED"]
    for e in p.timeline or []:
        if e.kind == "dismissed" and e.previous_state == "CHANGES_REQUESTED":
            key = login_key(e.review_author)
            # gh lists the dismissed review (state DISMISSED) with its own time; the event only says when it went
            mine = [r.at for r in p.reviews if r.state == "DISMISSED" and r.key == key and r.at <= e.at]
            raised.append((key, e.review_author, mine[-1] if mine else e.at, e))
    for key, login, at, dismissal in sorted(raised, key=lambda x: x[2]):
        if not key or key == p.author_key:
            continue
        if key not in listed:
            out.say(
                "unlisted-objection",
                f"{login} 请求修改，但不是名单中的审核人；异议须由审核人加上“{label}”标签",
                f"{login} requested changes but is not a listed reviewer;"
                f" a reviewer records an objection with the label {label}",
            )
            continue
        login = listed[key]
        if any(a.key == key and a.state == "APPROVED" and a.at > at for a in p.reviews):
            out.say(
                "objection-withdrawn",
                f"{login} 于 {out.local(at)} 请求修改，之后已批准",
                f"{login} requested changes at {out.local(at)} and approved later",
            )
            continue
        ruling = next((s for s in resolutions if s.at > at), None)
        found.append(Objection("review", login, at, ruling))
        gone, gone_en = "", ""
        if dismissal is not None:
            gone = f"（该审核已于 {out.local(dismissal.at)} 被 {dismissal.actor} 撤销，异议仍须裁定）"
            gone_en = (
                f" (the review was dismissed by {dismissal.actor} at {out.local(dismissal.at)};"
                " the objection still needs a ruling)"
            )
        if ruling:
            gist = ruling.text.splitlines()[0]  # the full ruling is in ``resolutions``
            out.say(
                "objection-resolved",
                f"{login} 于 {out.local(at)} 提出的异议已由 {ruling.by} 裁定：{gist}{gone}",
                f"the objection by {login} at {out.local(at)} was resolved by {ruling.by}: {gist}{gone_en}",
            )
        else:
            out.say(
                "objection-review",
                f"{login} 于 {out.local(at)} 请求修改（异议），待教务处裁定{gone}",
                f"{login} requested changes at {out.local(at)},"
                f" an objection awaiting academic affairs' ruling{gone_en}",
                True,
            )
    found += _label_objections(p, label, resolutions, out)
    return found


def _label_objections(p: PullRequest, label: str, resolutions: list[Resolution], out: _Reasons) -> list[Objection]:
    """Every time the objection label was added is an objection; removing the label does not settle it."""
    events = [e for e in p.timeline or [] if e.label is not None and e.label.casefold() == label.casefold()]
    on = any(name.casefold() == label.casefold() for name in p.labels)
    added = [e for e in events if e.kind == "labeled"]
    found = []
    for e in added:
        ruling = next((s for s in resolutions if s.at > e.at), None)
        removed = next((x for x in events if x.kind == "unlabeled" and x.at >= e.at), None)
        found.append(Objection("label", e.actor, e.at, ruling))
        if ruling:
            gist = ruling.text.splitlines()[0]
            out.say(
                "objection-resolved",
                f"{e.actor} 于 {out.local(e.at)} 加上的“{label}”标签（异议）已由 {ruling.by} 裁定：{gist}",
                f"the objection label {label} added by {e.actor} at {out.local(e.at)}"
                f" was resolved by {ruling.by}: {gist}",
            )
        elif removed:
            out.say(
                "objection-label-removed",
                f"{e.actor} 于 {out.local(e.at)} 加上“{label}”标签（异议），"
                f"{removed.actor} 于 {out.local(removed.at)} 移除了标签，"
                f"但移除标签不等于裁定，异议仍待教务处裁定",
                f"{e.actor} added the label {label} at {out.local(e.at)}"
                f" and {removed.actor} removed it at {out.local(removed.at)}; "
                f"removing the label is no ruling, the objection awaits academic affairs",
                True,
            )
        else:
            out.say(
                "objection-label",
                f"{e.actor} 于 {out.local(e.at)} 加上“{label}”标签（异议），待教务处裁定",
                f"{e.actor} added the label {label} at {out.local(e.at)},"
                " an objection awaiting academic affairs' ruling",
                True,
            )
    if on and all(o.resolution for o in found):
        # The label is on with no open objection behind it: none recorded (an old record without a timeline), or
        # every one ruled on. A ruling does not remove the label, and the label on is the public sign of an
        # objection, so it blocks until someone takes it off.
        found.append(Objection("label", None, None))
        if resolutions:
            last = resolutions[-1]
            out.say(
                "resolved-label-remains",
                f"{last.by} 已于 {out.local(last.at)} 裁定，但“{label}”标签仍在；异议处理完毕后请移除标签",
                f"{last.by} ruled at {out.local(last.at)} but the label {label} is still on;"
                " remove it once the objection is settled",
                True,
            )
        else:
            out.say(
                "objection-label",
                f"合并请求带有“{label}”标签，待教务处裁定",
                f"the pull request carries the label {label}, awaiting academic affairs' ruling",
                True,
            )
    return found


def _final(
    school: School,
    route: _Route,
    approvals: list[Review],
    notice: _Notice | None,
    now: datetime,
    objected: bool,
    out: _Reasons,
) -> Review | None:
    """The final approval: academic affairs after the notice ended (or at once when no claim is touched)."""
    final = None
    needs_notice = bool(route.claims) or not route.routable
    for r in approvals:
        if needs_notice and notice is None:
            out.say(
                "final-approval-too-early",
                f"{r.login} 于 {out.local(r.at)} 批准，但初审尚未完成、公示尚未开始，不算认定",
                f"{r.login} approved at {out.local(r.at)}, before the department review and the notice:"
                " not the final approval",
            )
        elif needs_notice and r.at < notice.closes:
            out.say(
                "final-approval-too-early",
                f"{r.login} 于 {out.local(r.at)} 批准，早于公示期满，不算认定；公示期满后请重新批准",
                f"{r.login} approved at {out.local(r.at)}, before the notice ended:"
                " not the final approval; approve again after it",
            )
        elif final is None:
            final = r
    if final and objected:
        out.say(
            "final-approved",
            f"教务处 {final.login} 已于 {out.local(final.at)} 批准，异议解决后即为认定",
            f"academic affairs ({final.login}) approved at {out.local(final.at)}; final once the objection is settled",
        )
    elif final:
        out.say(
            "final-approved",
            f"教务处 {final.login} 已于 {out.local(final.at)} 认定",
            f"finally approved by academic affairs ({final.login}) at {out.local(final.at)}",
        )
    elif route.routable and (not route.claims or (notice is not None and now >= notice.closes)):
        names = school.academic_affairs.reviewers
        out.say(
            "final-pending",
            f"等待教务处审核人（{'、'.join(names)}）批准认定",
            f"waiting for an academic-affairs reviewer ({', '.join(names)}) to approve",
            True,
        )
    return final


def _stage(
    p: PullRequest,
    route: _Route,
    notice: _Notice | None,
    objections: list[Objection],
    final: Review | None,
    now: datetime,
    out: _Reasons,
) -> Stage:
    """The stage: a finished pull request first, then an open objection, then where the clock stands."""
    if p.state in ("MERGED", "CLOSED"):
        # What it still waited for no longer applies; what happened stays as the record.
        out.items[:] = [r for r in out.items if not r.blocking]
        if p.state == "MERGED":
            out.items.insert(0, Reason("merged", "已合并，记入档案 (merged: archived)", True))
            return Stage.ARCHIVED
        out.items.insert(0, Reason("closed", "合并请求已关闭，未合并 (closed without merging)", True))
        return Stage.CLOSED
    if any(o.resolution is None for o in objections):
        return Stage.OBJECTED
    if route.routable and route.claims and notice is None and any(r.code == "calendar-missing" for r in out.items):
        return Stage.DEPARTMENT_APPROVED  # approved, but the notice cannot be counted until the calendar says how
    if not route.routable or (route.claims and notice is None):
        return Stage.SUBMITTED
    if notice is not None and now < notice.opens:
        return Stage.DEPARTMENT_APPROVED
    if notice is not None and now < notice.closes:
        return Stage.IN_NOTICE
    if final is not None:
        return Stage.FINALLY_APPROVED
    return Stage.READY if route.claims else Stage.SUBMITTED


def _short(oid: str | None) -> str:
    return (oid or "?")[:7]
