"""The course catalogue (课程资源库): every rules version as plain data the pages can show.

Credit tables become rows and columns with the rules' own names; role factors, hours, caps, completions and
graduation requirements become sentences; what changed from the previous version is worked out from the
rules themselves, so the page cannot fall out of step with ``rules/credits/``.
"""

from __future__ import annotations

from decimal import Decimal

from ..models.rules import Category, CreditRules
from ..rules import Rules
from ..scoring import fmt

SCORING = {
    "table": "查表计分 (by table)", "hours": "按时长计分 (by hours)", "completion": "修满结业 (by completion)",
    "class": "学分制教学班 (approved classes)",
}  # fmt: skip
SCOPE = {"study_period": "学制内", "academic_year": "每学年"}


def _c(x) -> str:
    return fmt(Decimal(x))


def _plain(x) -> str:
    """A number without trailing zeros (hours: 10, 7.5)."""
    text = f"{Decimal(x):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _q(name: str) -> str:
    """A name in quotation marks, unless it carries its own (“挑战杯”竞赛)."""
    return name if "“" in name else f"“{name}”"


def roles_text(rules: CreditRules, cat: Category) -> str | None:
    """Role factors in words: 负责人 ×1，成员 第 2 名 ×0.8，第 3 名 ×0.6，其后 ×0.5."""
    if not cat.roles:
        return None
    parts = []
    for rid, factor in cat.roles.items():
        name = rules.roles[rid].name if rid in rules.roles else rid
        if isinstance(factor, list):
            ranks = [f"第 {i + 2} 名 ×{_c(f)}" for i, f in enumerate(factor[:-1])]
            ranks.append(f"{'其后' if len(factor) > 1 else '每人'} ×{_c(factor[-1])}")
            parts.append(f"{name}：" + "，".join(ranks))
        else:
            parts.append(f"{name} ×{_c(factor)}")
    return "；".join(parts)


def table_of(rules: CreditRules, cat: Category) -> dict | None:
    """A credit table as ``{"rows": [...], "columns": [...], "cells": {(row, col): credits}}``, or a single value."""
    t = cat.table
    if t is None:
        return None
    if not isinstance(t, dict):
        return {"single": _c(t)}
    dims = cat.by
    name = lambda kind, key: getattr(rules, kind)[key].name if key in getattr(rules, kind) else key  # noqa: E731
    if len(dims) == 2:
        awards = [a for a in rules.awards if any(isinstance(v, dict) and a in v for v in t.values())]
        return {
            "row_head": "级别", "rows": [(k, name("levels", k)) for k in t],
            "columns": [(a, name("awards", a)) for a in awards],
            "cells": {(k, a): _c(v[a]) for k, v in t.items() if isinstance(v, dict) for a in v},
        }  # fmt: skip
    kind = "levels" if dims == ["level"] else "awards"
    return {"row_head": "级别" if kind == "levels" else "等级", "rows": [(k, name(kind, k)) for k in t],
            "columns": [("", "学分")], "cells": {(k, ""): _c(v) for k, v in t.items()}}  # fmt: skip


def rule_text(rules: CreditRules, cat: Category) -> str:
    """How a category earns credits, in one sentence."""
    if cat.scoring == "hours":
        return f"每满 {_plain(cat.per_hours)} 小时 {_c(cat.credits_per_unit)} 学分，不足部分不计。"
    if cat.scoring == "completion":
        return "修完全部必修课并修满选修积分即结业，结业后获得学分（见“结业规则”）。"
    if cat.scoring == "class":
        passing = "、".join(rules.awards[a].name for a in cat.passing or [] if a in rules.awards)
        return f"按所修教学班核定的学分计（见“学分制教学班”），成绩为{passing}者得分。"
    table = table_of(rules, cat)
    if table and "single" in table:
        return f"每项 {table['single']} 学分。"
    return "按下表计分。"


GOVERNING = {
    "final_year": "学生在读最后一学年生效的版本（调整后的规则适用于全部在读年级）",
    "entry_year": "学生入学第一学年生效的版本（各年级沿用入学时的规则）",
}


def governing_text(rules: Rules) -> dict:
    """Which version governs what, in sentences, from rules/school.yaml (``versions``)."""
    v = rules.school.versions
    return {
        "claims": "每项申报按活动所在学年生效的版本计分。",
        "study_period": f"科研学分上限、团校结业（含团校课程的认定）与毕业要求，按{GOVERNING[v.study_period]}。",
        "none": "某年级在该学年没有生效的版本时，系统报错（DK605），不会改用其他版本。",
        "source": v.source,
    }


def cap_example(limit: Decimal) -> list[dict] | None:
    """A worked example of the cap order: an item that does not fit is skipped, a smaller later one may still fit."""
    if limit <= Decimal("1.5"):
        return None
    rows, running = [], Decimal(0)
    for name, credits in (
        ("成果甲（国家级）", limit - 1),
        ("成果乙（省部级）", Decimal("1.5")),
        ("成果丙（校级）", Decimal(1)),
    ):
        fits = running + credits <= limit
        running += credits if fits else 0
        rows.append({"name": name, "credits": fmt(credits), "fits": fits, "running": fmt(running)})
    return rows


def version_data(rules: Rules, index: int) -> dict:
    """One rules version: when it is in force, its modules with their categories, caps, completions, graduation."""
    version = rules.versions[index]
    r = version.rules
    until = rules.versions[index + 1].rules.since if index + 1 < len(rules.versions) else None
    # The cohorts this version governs (rules/school.yaml: versions): those whose first, or final, year it covers.
    shift = 0 if rules.school.versions.study_period == "entry_year" else rules.school.study_years - 1
    first = int(r.since[:4]) - shift
    last_cohort = int(until[:4]) - 1 - shift if until else None
    modules = []
    for mid, m in r.modules.items():
        cats = []
        for cid, c in r.categories.items():
            if c.module != mid:
                continue
            cats.append({
                "id": cid, "name": c.name, "en": c.en, "scoring": SCORING[c.scoring], "description": c.description,
                # A completion's own description already says what the general sentence would.
                "rule": "" if c.scoring == "completion" and c.description else rule_text(r, c),
                "table": table_of(r, c) if c.scoring == "table" else None, "roles": roles_text(r, c),
                "source": c.source,
            })  # fmt: skip
        need = r.graduation.modules.get(mid)
        modules.append({"id": mid, "name": m.name, "en": m.en, "description": m.description, "categories": cats,
                        "required": fmt(need) if need else "不设", "source": m.source,
                        "innovation": mid == r.innovation})  # fmt: skip
    caps = []
    for cap in r.caps.values():
        target = (
            r.modules[cap.module].name
            if cap.module in r.modules
            else r.categories[cap.category].name
            if cap.category in r.categories
            else (cap.module or cap.category)
        )
        caps.append({"name": cap.name, "scope": SCOPE[cap.scope], "target": target, "max": fmt(cap.max),
                     "source": cap.source,
                     "example": cap_example(cap.max) if cap.scope == "study_period" else None})  # fmt: skip
    classes = [
        {"id": k, "name": c.name, "teacher": c.teacher, "year": c.year, "credits": fmt(c.credits),
         "approved": f"{'、'.join(c.approved_by)} {c.approved_on}"}
        for k, c in sorted(rules.classes.classes.items(), key=lambda kv: (kv[1].year, kv[0]))
        if c.year >= r.since and (until is None or c.year < until)
    ]  # fmt: skip
    completions = [
        {"name": c.name, "category": r.categories[c.category].name if c.category in r.categories else c.category,
         "required": [x.name for x in c.required.values()],
         "electives": [(x.name, fmt(x.points)) for x in c.electives.values()],
         "min_elective_points": fmt(c.min_elective_points), "credits": fmt(c.credits), "source": c.source}
        for c in r.completions.values()
    ]  # fmt: skip
    return {
        "since": r.since, "until": until, "title": r.title, "note": r.note, "file": version.file,
        "in_force": f"{r.since} 学年起"
        + (f"，至 {rules.versions[index + 1].rules.since} 学年前" if until else "，现行"),
        "cohorts": f"{first} 级"
        + (f"至 {last_cohort} 级" if last_cohort and last_cohort > first else "" if last_cohort else "及以后各级"),
        "modules": modules, "caps": caps, "completions": completions, "classes": classes,
        "graduation_total": fmt(r.graduation.total) if r.graduation.total else "不设",
        "graduation_source": r.graduation.source, "numbers": r.numbers,
        "innovation_levels": [r.levels[k].name for k in r.innovation_levels or [] if k in r.levels],
        "governing": governing_text(rules),
        "changes": changes(rules.versions[index - 1].rules, r) if index else [],
        "current": until is None,
    }  # fmt: skip


def changes(old: CreditRules, new: CreditRules) -> list[str]:
    """What a version changes from the one before it, in sentences."""
    out = []
    for cid, c in new.categories.items():
        prev = old.categories.get(cid)
        if prev is None:
            out.append(
                f"新增类别{_q(c.name)}（{new.modules[c.module].name if c.module in new.modules else c.module}）。"
            )
            continue
        if prev == c:
            continue
        if (prev.per_hours, prev.credits_per_unit) != (c.per_hours, c.credits_per_unit) and c.scoring == "hours":
            out.append(
                f"{_q(c.name)}：由每满 {_plain(prev.per_hours)} 小时 {_c(prev.credits_per_unit)} 学分"
                f"改为每满 {_plain(c.per_hours)} 小时 {_c(c.credits_per_unit)} 学分。"
            )
        if prev.table != c.table:
            out += _table_changes(new, c, table_of(old, prev), table_of(new, c))
        if prev.roles != c.roles:
            out.append(f"{_q(c.name)}：角色系数调整为 {roles_text(new, c)}。")
        if (prev.module, prev.scoring, prev.by) != (c.module, c.scoring, c.by):
            out.append(f"{_q(c.name)}：计分方式调整。")
    for cid, c in old.categories.items():
        if cid not in new.categories:
            out.append(f"取消类别{_q(c.name)}。")
    for cap_id, cap in new.caps.items():
        prev = old.caps.get(cap_id)
        if prev is None:
            out.append(f"新增上限{_q(cap.name)}：{fmt(cap.max)} 学分。")
        elif prev.max != cap.max:
            out.append(f"{_q(cap.name)}由 {fmt(prev.max)} 学分调整为 {fmt(cap.max)} 学分。")
    for mid, need in new.graduation.modules.items():
        if old.graduation.modules.get(mid) != need:
            out.append(f"毕业要求：{new.modules[mid].name if mid in new.modules else mid}最低 {fmt(need)} 学分。")
    if old.graduation.total != new.graduation.total:
        out.append(f"毕业要求：总学分由 {fmt(old.graduation.total)} 调整为 {fmt(new.graduation.total)}。")
    if old.completions != new.completions:
        out.append("团校等结业规则有调整，见“结业规则”。")
    return out


def _table_changes(rules: CreditRules, cat: Category, old: dict | None, new: dict | None) -> list[str]:
    if not old or not new or "single" in old or "single" in new:
        return [f"{_q(cat.name)}：学分标准调整，见下表。"]
    rows = dict(new["rows"]) | dict(old["rows"])
    cols = dict(new["columns"]) | dict(old["columns"])
    out = []
    for key in sorted(
        set(old["cells"]) | set(new["cells"]), key=lambda k: (list(rows).index(k[0]), list(cols).index(k[1]))
    ):
        a, b = old["cells"].get(key), new["cells"].get(key)
        if a != b:
            what = "".join(x for x in (rows[key[0]], cols[key[1]] if key[1] else "") if x)
            out.append(f"{_q(cat.name)}{what}：{a or '—'} → {b or '—'} 学分。")
    return out


def catalogue(rules: Rules) -> list[dict]:
    """Every version, oldest first."""
    return [version_data(rules, i) for i in range(len(rules.versions))]
