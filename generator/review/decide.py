"""The decision: a pull request's review stage from its forge record, the rules and the clock, nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..diagnostics import DektError
from ..models.rules import School
from ..rules import Rules
from .forge import GH_FILE_CAP, PullRequest, Review, read_pr
from .model import DepartmentReview, Objection, Reason, ReviewState, Resolution, Stage

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
        raise DektError(f"无法识别时区 {name}，或系统缺少时区数据 tzdata (unknown time zone {name}, or tzdata is missing)") from None


def review_state(pr: dict, rules: Rules, now: datetime, source: str = "PR.json") -> ReviewState:
    """Decide the review stage of pull request ``pr`` (gh's JSON shape) under ``rules`` at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    p = read_pr(pr, source)
    school = rules.school
    out = _Reasons(zone(school.timezone))
    route = _route(p, school, out)
    dept_approvals, aa_approvals = _approvals(p, school, route, out)
    departments = _departments(school, route, dept_approvals, out)
    notice = _notice(rules, route, departments, now, out)
    resolutions = _resolutions(p, school, out)
    objections = _objections(p, school, resolutions, out)
    final = _final(school, route, aa_approvals, notice, now, any(o.resolution is None for o in objections), out)
    stage = _stage(p, route, notice, objections, final, now, out)
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
        out.say("unknown-department", f"{folder} 不是 rules/school.yaml 中系部的目录，无人可以初审",
                f"{folder} is not the folder of a department in rules/school.yaml; nobody can review it", True)
    if rules_files:
        out.say("rules-change", f"修改了 rules/ 中的 {rules_files} 个文件，须经教务处批准",
                f"changes {rules_files} file(s) in rules/: academic affairs must approve")
    if other_files:
        out.say("non-claim-change", f"修改了申报以外的 {other_files} 个文件，须经教务处批准",
                f"changes {other_files} file(s) outside records/claims: academic affairs must approve")
    complete = True
    if not p.files:
        out.say("no-files", "合并请求没有修改任何文件", "the pull request changes no files", True)
    elif (p.changed_files or 0) > len(p.files) or (p.changed_files is None and len(p.files) >= GH_FILE_CAP):
        total = p.changed_files if p.changed_files is not None else f"≥{GH_FILE_CAP}"
        out.say("files-incomplete", f"文件列表不完整（列出 {len(p.files)} 个，共 {total} 个），无法确定由谁审核",
                f"the file list is incomplete ({len(p.files)} listed of {total}); who reviews cannot be decided", True)
        complete = False
    return _Route(claims, rules_files + other_files, bool(p.files) and complete and not unknown)


def _approvals(p: PullRequest, school: School, route: _Route, out: _Reasons) -> tuple[dict[str, list[Review]], list[Review]]:
    """The approvals that count: current, not the author's, by a reviewer listed for the part they approve."""
    aa = set(school.academic_affairs.reviewers)
    listed = aa | {login for d in school.departments.values() for login in d.reviewers}
    ids = p.content_ids

    def current(oid: str | None) -> bool:
        # A rebase keeps the approval when the adapter's content id of the approved commit equals the head's.
        return oid == p.head or (oid is not None and oid in ids and p.head in ids and ids[oid] == ids[p.head])

    by_dept: dict[str, list[Review]] = {d: [] for d in route.claims}
    by_aa: list[Review] = []
    for r in p.reviews:
        if r.state == "DISMISSED" and r.login in listed:
            out.say("dismissed-review", f"{r.login} 的审核已被撤销，不计", f"{r.login}'s review was dismissed and does not count")
        if r.state != "APPROVED":
            continue
        if r.login == p.author:
            out.say("author-approval", f"{r.login} 是提交人，本人的批准不计", f"{r.login} is the author; the author's own approval never counts")
            continue
        if not current(r.oid):
            if r.login in listed:
                out.say("stale-approval", f"{r.login} 于 {out.local(r.at)} 批准的是提交 {_short(r.oid)}，其后内容已改动，须重新批准",
                        f"{r.login} approved commit {_short(r.oid)} at {out.local(r.at)}; the content changed since, approve again")
            continue
        if r.oid != p.head and r.login in listed:
            out.say("approval-carried-over", f"{r.login} 批准的提交 {_short(r.oid)} 与最新提交内容相同（变基），批准仍有效",
                    f"{r.login} approved commit {_short(r.oid)}, whose content equals the head's (a rebase): the approval stands")
        matched = [d for d in route.claims if r.login in school.departments[d].reviewers]
        for d in matched:
            by_dept[d].append(r)
        if r.login in aa:
            by_aa.append(r)
        elif not matched:
            names = "、".join(school.departments[d].name for d in sorted(route.claims)) or school.academic_affairs.name
            names_en = ", ".join(school.departments[d].en or d for d in sorted(route.claims)) or "academic affairs"
            out.say("unlisted-reviewer", f"{r.login} 不是 {names} 的审核人，其批准不计",
                    f"{r.login} is not a listed reviewer for {names_en}; the approval does not count")
    return by_dept, by_aa


def _departments(school: School, route: _Route, approvals: dict[str, list[Review]], out: _Reasons) -> list[DepartmentReview]:
    """Each department's part: approved (by whom, first when) or waiting."""
    result = []
    for d in sorted(route.claims):
        dept, got = school.departments[d], approvals[d]
        approvers = tuple(dict.fromkeys(r.login for r in got))
        first = got[0].at if got else None  # reviews are sorted by time
        result.append(DepartmentReview(d, dept.name, route.claims[d], approvers, first))
        if got:
            out.say("department-approved", f"{dept.name} 已初审：{'、'.join(approvers)}（{out.local(first)}）",
                    f"{dept.en or d} approved by {', '.join(approvers)} at {out.local(first)}")
        else:
            out.say("department-pending", f"等待 {dept.name} 的审核人（{'、'.join(dept.reviewers)}）批准",
                    f"waiting for a reviewer of {dept.en or d} ({', '.join(dept.reviewers)}) to approve", True)
    return result


def _notice(rules: Rules, route: _Route, departments: list[DepartmentReview], now: datetime, out: _Reasons) -> _Notice | None:
    """The notice period: N working days after the day the last department approved."""
    if not route.claims or not route.routable or not all(d.approved_at for d in departments):
        return None
    n = rules.school.notice.working_days
    approved_day = max(d.approved_at for d in departments).astimezone(out.tz).date()
    start, end = rules.add_working_days(approved_day, 1), rules.add_working_days(approved_day, n)
    notice = _Notice(start, end, datetime.combine(start, time(), out.tz), datetime.combine(end + timedelta(days=1), time(), out.tz))
    span, span_en = f"{start} 至 {end}（{n} 个工作日）", f"{start} to {end}, {n} working days"
    if now < notice.opens:
        out.say("notice-scheduled", f"初审已通过，公示期为 {span}", f"approved by the department; the notice runs {span_en}", True)
    elif now < notice.closes:
        today = now.astimezone(out.tz).date()
        k = sum(rules.is_working_day(start + timedelta(days=i)) for i in range((today - start).days + 1))
        out.say("notice-running", f"公示中：{span}，今天是第 {k} 个工作日", f"in public notice {span_en}; today is working day {k}", True)
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
        if c.login not in school.academic_affairs.reviewers or c.login == p.author:
            out.say("resolution-not-allowed", f"{c.login} 的 {m.group(1)} 不算裁定：只有教务处审核人（非提交人）可以裁定异议",
                    f"{c.login}'s {m.group(1)} is not a ruling: only an academic-affairs reviewer other than the author may resolve")
        elif not text:
            out.say("resolution-without-reason", f"{c.login} 的 {m.group(1)} 没有写明理由，不算裁定",
                    f"{c.login}'s {m.group(1)} gives no reason and is not a ruling")
        else:
            found.append(Resolution(c.login, c.at, text))
    return found


def _objections(p: PullRequest, school: School, resolutions: list[Resolution], out: _Reasons) -> list[Objection]:
    """Changes-requested reviews by listed reviewers (resolved or open), and the objection label."""
    listed = set(school.academic_affairs.reviewers) | {login for d in school.departments.values() for login in d.reviewers}
    label = school.notice.objection_label
    found = []
    for r in p.reviews:
        if r.state != "CHANGES_REQUESTED" or r.login == p.author:
            continue
        if r.login not in listed:
            out.say("unlisted-objection", f"{r.login} 请求修改，但不是名单中的审核人；异议须由审核人加上“{label}”标签",
                    f"{r.login} requested changes but is not a listed reviewer; a reviewer records an objection with the label {label}")
            continue
        if any(a.login == r.login and a.state == "APPROVED" and a.at > r.at for a in p.reviews):
            out.say("objection-withdrawn", f"{r.login} 于 {out.local(r.at)} 请求修改，之后已批准",
                    f"{r.login} requested changes at {out.local(r.at)} and approved later")
            continue
        ruling = next((s for s in resolutions if s.at > r.at), None)
        found.append(Objection("review", r.login, r.at, ruling))
        if ruling:
            gist = ruling.text.splitlines()[0]  # the full ruling is in ``resolutions``
            out.say("objection-resolved", f"{r.login} 于 {out.local(r.at)} 提出的异议已由 {ruling.by} 裁定：{gist}",
                    f"the objection by {r.login} at {out.local(r.at)} was resolved by {ruling.by}: {gist}")
        else:
            out.say("objection-review", f"{r.login} 于 {out.local(r.at)} 请求修改（异议），待教务处裁定",
                    f"{r.login} requested changes at {out.local(r.at)}, an objection awaiting academic affairs' ruling", True)
    if label in p.labels:
        found.append(Objection("label", None, None))
        if resolutions:  # gh does not say when the label was added: a ruling never removes it by itself
            last = resolutions[-1]
            out.say("resolved-label-remains", f"{last.by} 已于 {out.local(last.at)} 裁定，但“{label}”标签仍在；异议处理完毕后请移除标签",
                    f"{last.by} ruled at {out.local(last.at)} but the label {label} is still on; remove it once the objection is settled", True)
        else:
            out.say("objection-label", f"合并请求带有“{label}”标签，待教务处裁定",
                    f"the pull request carries the label {label}, awaiting academic affairs' ruling", True)
    return found


def _final(school: School, route: _Route, approvals: list[Review], notice: _Notice | None, now: datetime,
           objected: bool, out: _Reasons) -> Review | None:
    """The final approval: academic affairs after the notice ended (or at once when no claim is touched)."""
    final = None
    needs_notice = bool(route.claims) or not route.routable
    for r in approvals:
        if needs_notice and notice is None:
            out.say("final-approval-too-early", f"{r.login} 于 {out.local(r.at)} 批准，但初审尚未完成、公示尚未开始，不算认定",
                    f"{r.login} approved at {out.local(r.at)}, before the department review and the notice: not the final approval")
        elif needs_notice and r.at < notice.closes:
            out.say("final-approval-too-early", f"{r.login} 于 {out.local(r.at)} 批准，早于公示期满，不算认定；公示期满后请重新批准",
                    f"{r.login} approved at {out.local(r.at)}, before the notice ended: not the final approval; approve again after it")
        elif final is None:
            final = r
    if final and objected:
        out.say("final-approved", f"教务处 {final.login} 已于 {out.local(final.at)} 批准，异议解决后即为认定",
                f"academic affairs ({final.login}) approved at {out.local(final.at)}; final once the objection is settled")
    elif final:
        out.say("final-approved", f"教务处 {final.login} 已于 {out.local(final.at)} 认定",
                f"finally approved by academic affairs ({final.login}) at {out.local(final.at)}")
    elif route.routable and (not route.claims or (notice is not None and now >= notice.closes)):
        names = school.academic_affairs.reviewers
        out.say("final-pending", f"等待教务处审核人（{'、'.join(names)}）批准认定",
                f"waiting for an academic-affairs reviewer ({', '.join(names)}) to approve", True)
    return final


def _stage(p: PullRequest, route: _Route, notice: _Notice | None, objections: list[Objection],
           final: Review | None, now: datetime, out: _Reasons) -> Stage:
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
