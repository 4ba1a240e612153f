"""The public notice list (公示名单): the claims of every batch now on notice, read from Git.

For each open pull request whose review stage puts it on notice, the claim files it adds or changes are
read from its head commit (GitPython), scored by the rules, and listed by department with the student's
id masked, the credits, the notice window and how and until when to object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import git

from .diagnostics import DektError
from .records import CLAIMS_DIR, parse_claim_file
from .report import printable
from .review import Stage, review_state
from .roster import Student, notice_mask
from .rules import Rules
from .scoring import Score, fmt, score

ON_NOTICE = (Stage.DEPARTMENT_APPROVED, Stage.IN_NOTICE, Stage.OBJECTED)


@dataclass(frozen=True)
class NoticeEntry:
    """One student's claim in a batch on notice, as the public may see it."""

    department: str
    department_name: str
    activity: str
    category: str
    date: str
    student: str  # masked
    name: str
    class_name: str
    credits: str | None
    rule: str
    amends: str | None = None  # "corrects" or "revokes": this row changes an archived claim's credit
    was: str | None = None  # the archived credit it changes from


def _commit(repo: git.Repo, rev: str) -> git.Commit | None:
    """The commit ``rev`` names, or None when the repository does not have it (GitPython resolves lazily)."""
    try:
        commit = repo.commit(rev)
        commit.tree  # noqa: B018 - forces the object to be read
        return commit
    except (ValueError, git.BadName, git.BadObject, git.GitCommandError):
        return None


def _claim_blobs(repo: git.Repo, pr: dict) -> list[tuple[str, bytes]]:
    """The claim files the pull request adds or changes, against its base, as read from its head commit."""
    head = _commit(repo, str(pr.get("headRefOid")))
    if head is None:
        raise DektError(
            f"合并请求 #{pr.get('number')} 的提交 {pr.get('headRefOid')} 不在本地仓库中，请先 git fetch "
            f"(the head commit of #{pr.get('number')} is not in the local repository; fetch it first)"
        )
    base_name = pr.get("baseRefOid") or pr.get("baseRefName") or "main"
    base = _commit(repo, base_name) or _commit(repo, f"origin/{base_name}")
    if base is None:
        raise DektError(f"找不到基准分支 {base_name} (base branch {base_name} not found)")
    merge_base = (repo.merge_base(base, head) or [base])[0]
    out = []
    for d in merge_base.diff(head, paths=CLAIMS_DIR):
        if d.change_type in ("A", "M", "R", "T") and d.b_path and d.b_path.endswith((".yaml", ".yml")):
            out.append((d.b_path, d.b_blob.data_stream.read()))
    return sorted(out)


def _masked(student_id: str, student: Student | None, classes: dict[tuple[str, str], list[str]]) -> str:
    """The id as the notice shows it: fitting at least ``NOTICE_K`` students of the class it is listed with."""
    peers = classes.get((student.department, student.class_name), []) if student else []
    return notice_mask(student_id, peers)


_DIGITS = re.compile(r"\d+")


def _redact(text: str, roster: dict[str, Student], classes: dict[tuple[str, str], list[str]]) -> str:
    """Outside text (a title, an activity) with every student id in it masked as the notice masks ids: one title
    that names a student must not make the privacy check refuse the whole site, nor publish the id."""
    return _DIGITS.sub(
        lambda m: _masked(m.group(), roster[m.group()], classes) if m.group() in roster else m.group(), text
    )


def notice_batches(root: Path, prs: list[dict], rules: Rules, roster: dict[str, Student], now: datetime) -> list[dict]:
    """Every batch now on notice, with its entries, as plain data for the site and for people."""
    repo = git.Repo(root)
    classes: dict[tuple[str, str], list[str]] = {}
    for s in roster.values():
        classes.setdefault((s.department, s.class_name), []).append(s.id)
    batches = []
    for pr in sorted(prs, key=lambda p: p.get("number", 0)):
        state = review_state(pr, rules, now)
        if state.stage not in ON_NOTICE:
            continue
        entries = []
        for path, raw in _claim_blobs(repo, pr):
            dept = path.split("/")[3] if path.count("/") >= 4 else ""
            dept_name = rules.school.departments[dept].name if dept in rules.school.departments else dept
            parsed = parse_claim_file(raw, path)
            old = _archived(repo, pr, parsed.amends.target) if parsed.amends else []
            first = len(entries)
            for e in (*old, *parsed.entries):  # the archived claim's rows first: a correction shows from what to what
                version = rules.version_for(rules.academic_year(e.date))
                result = score(e, version.rules) if version else None
                student = roster.get(e.student)
                entries.append(
                    NoticeEntry(
                        department=dept,
                        department_name=dept_name,
                        activity=_redact(e.activity, roster, classes),
                        category=version.rules.categories[e.category].name
                        if version and e.category in version.rules.categories
                        else e.category,
                        date=e.date.isoformat(),
                        student=_masked(e.student, student, classes),
                        name=student.name if student else "（名册中无此学生）",
                        class_name=student.class_name if student else "",
                        credits=fmt(result.credits) if isinstance(result, Score) else None,
                        rule=result.rule if isinstance(result, Score) else "未通过校验 (does not pass validation)",
                    )
                )
            if parsed.amends is not None:
                rows = list(zip((*old, *parsed.entries), entries[first:]))
                entries[first:] = _amended(rows[: len(old)], rows[len(old) :], parsed.amends, dept, dept_name)
        notice = state.as_dict()["notice"]
        batches.append({
            "pr": state.number,
            "title": _redact(str(pr.get("title") or f"#{state.number}"), roster, classes),
            "stage": state.stage.value,
            "stage_label": state.stage.label,
            "notice_start": notice["start"] if notice else None,
            "notice_end": notice["end"] if notice else None,
            "objected": state.stage is Stage.OBJECTED,
            "how_to_object": rules.school.notice.how_to_object,
            "object_until": notice["end"] if notice else None,
            "departments": sorted({e.department_name for e in entries}),
            "entries": [e.__dict__ for e in sorted(entries, key=lambda e: (e.department, e.activity, e.student))],
        })  # fmt: skip
    return batches


def _archived(repo: git.Repo, pr: dict, target: str) -> list:
    """The entries of the archived claim file ``target`` as the pull request's merge base has it ([] if absent)."""
    head = _commit(repo, str(pr.get("headRefOid")))
    base_name = pr.get("baseRefOid") or pr.get("baseRefName") or "main"
    base = _commit(repo, base_name) or _commit(repo, f"origin/{base_name}")
    if head is None or base is None:
        return []
    merge_base = (repo.merge_base(base, head) or [base])[0]
    try:
        raw = (merge_base.tree / target).data_stream.read()
    except KeyError:
        return []
    return list(parse_claim_file(raw, target).entries)


def _amended(old: list, new: list, amends, dept: str, dept_name: str) -> list[NoticeEntry]:
    """The rows of a correction or revocation: whose credit changes, from what to what, and why."""
    zh, en = ("更正", "corrects") if amends.kind == "corrects" else ("撤销", "revokes")
    was = {e.student: row for e, row in old}
    out = []

    def change(row: NoticeEntry, before: str | None, after: str | None) -> NoticeEntry:
        text = (
            f"{zh} {amends.target}：原 {before or '—'} 学分 → {after or '—'} 学分；"
            f"理由：{amends.reason} ({en} {amends.target})"
        )
        return replace(
            row,
            credits=after,
            rule=f"{text}；{row.rule}" if amends.kind == "corrects" else text,
            amends=amends.kind,
            was=before,
        )

    for e, row in new:  # a corrected claim: from the archived credit to the new one
        before = was.pop(e.student, None)
        out.append(change(row, before.credits if before else None, row.credits))
    for row in was.values():  # students the revocation (or the correction) takes off: their credit goes to 0
        out.append(change(row, row.credits, fmt(Decimal(0))))
    if not out:  # the archived file is not in the merge base (validation says so): still list what is asked
        out.append(
            NoticeEntry(
                dept,
                dept_name,
                amends.target,
                "",
                "",
                "—",
                "—",
                "",
                fmt(Decimal(0)),
                f"{zh} {amends.target}（档案中找不到原申报）；理由：{amends.reason}",
                amends.kind,
                None,
            )
        )
    return out


def load_prs(path: Path) -> list[dict]:
    """The open pull requests as the forge reports them: a JSON list (``gh pr view --json …`` objects)."""
    try:
        prs = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DektError(f"无法读取 {path}：{exc} (cannot read the pull requests file)") from exc
    if not isinstance(prs, list):
        raise DektError(f"{path} 应为合并请求的列表 (should be a JSON list of pull requests)")
    return prs


def notice_json(batches: list[dict], now: datetime) -> str:
    """The notice list as JSON, the site's input."""
    return json.dumps({"generated_at": now.isoformat(), "batches": batches}, ensure_ascii=False, indent=2)


def notice_text(batches: list[dict]) -> str:
    """The notice list for people, batch by batch."""
    if not batches:
        return "目前没有处于公示期的申报。 (nothing is on public notice now)"
    out = []
    for b in batches:
        out.append(f"【{b['title']}】 #{b['pr']} · {b['stage_label']}")
        if b["notice_start"]:
            out.append(
                f"  公示期 notice: {b['notice_start']} 至 {b['notice_end']}；"
                f"异议截止 object until {b['object_until']} 24:00"
            )
        for e in b["entries"]:
            credits = e["credits"] if e["credits"] is not None else "—"
            out.append(f"  {e['department_name']}  {e['name']}（{e['student']}）  {e['activity']}  {credits} 学分")
            if e.get("amends"):
                out.append(f"    {e['rule']}")
        out.append(f"  如何提出异议 how to object: {b['how_to_object']}")
        out.append("")
    # Titles and claim texts are outside text: a control character (an ESC, a line break) is shown escaped.
    return "\n".join(printable(line) for line in out).rstrip() + "\n"
