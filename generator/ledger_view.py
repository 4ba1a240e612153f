"""A ledger as text for people and as JSON for programs (and, later, the transcript)."""

from __future__ import annotations

import json

from .ledger import Ledger
from .roster import STATUSES
from .rules import Rules
from .scoring import fmt


def _mark(ok: bool) -> str:
    return "✓ 已达到" if ok else "✗ 未达到"


def ledger_text(ledger: Ledger, rules: Rules) -> str:
    """Every claim with its credits and the rule behind them, grouped by module, then the totals."""
    s = ledger.student
    dept = rules.school.departments[s.department].name
    out = [
        f"{s.name}（{s.id}）· {dept} · {s.class_name} · {s.enrollment_year} 级 · {STATUSES.get(s.status, s.status)}",
        f"适用规则 rules of the cohort: {ledger.rules_since} 学年起",
        "",
    ]
    for module in ledger.modules:
        out.append(
            f"【{module.name}】 {fmt(module.credits)} 学分（毕业要求 {fmt(module.required)}）{_mark(module.met)}"
        )
        for it in (i for i in ledger.items if i.module == module.id):
            e = it.entry
            line = f"  {e.date}  {e.activity}  {it.rule}"
            if it.custody:
                line += f"  〔{it.excluded_why}〕"
            elif not it.counted:
                line += f"  〔未计入 not counted：{it.excluded_why}〕"
            out.append(line)
            out.append(f"      ↳ {e.file}:{e.line}")
        for c in (c for c in ledger.completions if c.module == module.id):
            required = len(c.required_done) + len(c.required_missing)
            state = f"已结业 → {fmt(c.credits)}" if c.complete else "未结业 → 0"
            out.append(
                f"  {c.name}：必修 {len(c.required_done)}/{required}，"
                f"选修积分 {fmt(c.elective_points)}/{fmt(c.min_elective_points)}，{state}"
            )
            if c.required_missing:
                out.append(f"      缺少必修 missing: {'、'.join(c.required_missing)}")
        out.append("")
    held = [it for it in ledger.items if it.custody]
    if held:
        pending = sum(1 for it in held if it.custody == "pending")
        out.append(
            f"待归档 pending: {pending} 条；未经认定 not certified: {len(held) - pending} 条（均不计入 none counted）"
        )
    out.append(
        f"总计 total: {fmt(ledger.total)} 学分（毕业要求 {fmt(ledger.total_required)}）"
        f"{_mark(ledger.total >= ledger.total_required)}"
    )
    out.append(
        f"毕业要求 graduation requirements: {'全部达到 met' if ledger.graduation_met else '尚未达到 not yet met'}"
    )
    return "\n".join(out)


def _certified(provenance, file: str) -> dict | None:
    """How an item's claim file reached the archive (pull request, dates, reviewers), when Git knows."""
    p = (provenance or {}).get(file)
    if p is None:
        return None
    return {
        "pr": p.pr, "merged_at": p.merged_at, "merged_by": p.merged_by, "notice": p.notice,
        "reviewers": list(p.reviewers), "approvers": list(p.approvers), "commit": p.commit,
    }  # fmt: skip


def ledger_data(ledger: Ledger, rules: Rules, provenance: dict | None = None) -> dict:
    """The ledger as plain data, credits as strings so that no float rounding creeps in.

    With ``provenance`` (file → ``dekt.provenance.Provenance``) each item says how it was certified.
    """
    s = ledger.student
    return {
        "student": {
            "id": s.id, "name": s.name, "department": s.department,
            "department_name": rules.school.departments[s.department].name,
            "class": s.class_name, "enrollment_year": s.enrollment_year, "status": s.status,
        },
        "rules_since": ledger.rules_since,
        "items": [
            {
                "file": it.entry.file, "line": it.entry.line, "date": it.entry.date.isoformat(),
                "academic_year": it.year, "activity": it.entry.activity, "category": it.entry.category,
                "module": it.module, "level": it.entry.level, "award": it.entry.award, "role": it.entry.role,
                "credits": fmt(it.credits), "rule": it.rule, "counted": it.counted,
                "excluded_by": it.excluded_by, "excluded_why": it.excluded_why,
                "amended": it.amended, "amended_by": it.amended_by, "amend_reason": it.amend_reason,
                "custody": it.custody,  # "pending" or "uncertified": shown here, never on a transcript
                "certified": _certified(provenance, it.entry.file),
            }
            for it in ledger.items
        ],
        "completions": [
            {
                "id": c.id, "name": c.name, "module": c.module, "complete": c.complete,
                "required_done": list(c.required_done), "required_missing": list(c.required_missing),
                "elective_points": fmt(c.elective_points), "min_elective_points": fmt(c.min_elective_points),
                "credits": fmt(c.credits),
            }
            for c in ledger.completions
        ],
        "modules": [
            {"id": m.id, "name": m.name, "credits": fmt(m.credits), "required": fmt(m.required), "met": m.met}
            for m in ledger.modules
        ],
        "total": fmt(ledger.total),
        "total_required": fmt(ledger.total_required),
        "graduation_met": ledger.graduation_met,
    }  # fmt: skip


def ledger_json(ledger: Ledger, rules: Rules) -> str:
    return json.dumps(ledger_data(ledger, rules), ensure_ascii=False, indent=2)
