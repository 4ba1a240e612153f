"""Credits for one claim, from the rules in force for its academic year, with the rule in words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .models.rules import Category, CreditRules
from .records import Entry

CENT = Decimal("0.01")


def plain(number: Decimal) -> str:
    """A number without exponent or trailing zeros: ``10``, ``2.5``."""
    return format(number.normalize(), "f")


def fmt(credits: Decimal) -> str:
    """Credits as people write them: ``4.0``, ``2.5``, ``0.25``."""
    q = credits.quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{q:.2f}"
    return text[:-1] if text.endswith("0") else text


@dataclass(frozen=True)
class Score:
    """The credits one entry earns before caps, and the rule that gave them."""

    credits: Decimal
    rule: str
    module: str
    level_rank: int
    award_rank: int


@dataclass(frozen=True)
class Problem:
    """Why an entry cannot be scored: the field at fault, a catalogue code and its arguments."""

    field: str | None
    code: str
    args: dict


def _allowed(options) -> str:
    return "、".join(options) if options else "（无 / none）"


def _check_fields(e: Entry, cid: str, cat: Category, rules: CreditRules) -> list[Problem]:
    """Every field the category needs is there, and no field it does not use."""
    out = []
    used = {
        "level": "level" in cat.by,
        "award": "award" in cat.by or cat.scoring == "class",
        "role": cat.roles is not None,
        "hours": cat.scoring == "hours",
        "course": cat.scoring == "completion",
        "credit_class": cat.scoring == "class",
    }
    for name, needed in used.items():
        value = getattr(e, name)
        if needed and value is None:
            out.append(Problem(name if name != "role" else None, "DK310", {"field": name, "category": cid}))
        elif not needed and value is not None:
            out.append(Problem(name, "DK311", {"field": name, "category": cid}))
    if e.rank is not None and not (cat.roles and isinstance(cat.roles.get(e.role or ""), list)):
        out.append(Problem("rank", "DK311", {"field": "rank", "category": cid}))
    return out


def _table_credits(e: Entry, cid: str, cat: Category) -> tuple[Decimal | None, list[Problem]]:
    node = cat.table
    for dim in cat.by:
        value = getattr(e, dim)
        if not isinstance(node, dict) or value not in node:
            allowed = list(node) if isinstance(node, dict) else []
            code = "DK304" if dim == "level" else "DK305"
            if value in _all_keys(cat.table, cat.by.index(dim)):
                combo = " · ".join(str(getattr(e, d)) for d in cat.by)
                return None, [Problem(dim, "DK314", {"combo": combo, "category": cid})]
            return None, [Problem(dim, code, {"category": cid, "value": value, "allowed": _allowed(allowed)})]
        node = node[value]
    return node, []


def _all_keys(table, depth: int) -> set:
    level = [table]
    for _ in range(depth):
        level = [v for n in level if isinstance(n, dict) for v in n.values()]
    return {k for n in level if isinstance(n, dict) for k in n}


def _role_factor(e: Entry, cid: str, cat: Category, rules: CreditRules) -> tuple[Decimal, str, list[Problem]]:
    if cat.roles is None:
        return Decimal(1), "", []
    if e.role not in cat.roles:
        return (
            Decimal(1),
            "",
            [Problem("role", "DK306", {"category": cid, "value": e.role, "allowed": _allowed(list(cat.roles))})],
        )
    factor = cat.roles[e.role]
    name = rules.roles[e.role].name
    if isinstance(factor, list):
        if e.rank is None:
            return Decimal(1), "", [Problem(None, "DK310", {"field": "rank", "category": cid})]
        factor = factor[min(e.rank - 2, len(factor) - 1)]
        name = f"{name}（第 {e.rank} 名）"
    return factor, name, []


def _class_credits(
    e: Entry, cid: str, cat: Category, rules: CreditRules, classes: dict
) -> tuple[Decimal, str] | Problem:
    """A credit-bearing class: the catalogue's credits for a passing result, nothing for a failing one."""
    klass = classes.get(e.credit_class)
    if klass is None:
        return Problem("credit_class", "DK317", {"value": e.credit_class, "allowed": _allowed(sorted(classes))})
    results = [*cat.passing, "fail"] if "fail" in rules.awards else list(cat.passing)
    if e.award not in results:
        return Problem("award", "DK305", {"category": cid, "value": e.award, "allowed": _allowed(results)})
    credits = klass.credits if e.award in cat.passing else Decimal(0)
    return credits, f"{klass.name}（{klass.teacher}，{'、'.join(klass.approved_by)} {klass.approved_on} 批准）"


def score(e: Entry, rules: CreditRules, classes: dict | None = None) -> Score | list[Problem]:
    """The credits ``e`` earns under ``rules`` before caps, or every reason it cannot be scored.

    ``classes`` are the credit-bearing classes (rules/classes.yaml) open in the entry's academic year.
    """
    cat = rules.categories.get(e.category)
    if cat is None:
        return [Problem("category", "DK303", {"category": e.category, "year": rules.since})]
    problems = _check_fields(e, e.category, cat, rules)
    if problems:
        return problems
    parts = [cat.name]
    if cat.scoring == "table":
        base, problems = _table_credits(e, e.category, cat)
        factor, role_name, more = _role_factor(e, e.category, cat, rules)
        problems += more
        if problems:
            return problems
        parts += [rules.levels[e.level].name] if e.level else []
        parts += [rules.awards[e.award].name] if e.award else []
        credits = (base * factor).quantize(CENT, rounding=ROUND_HALF_UP)
        if role_name:
            parts.append(role_name if factor == 1 else f"{role_name} {fmt(base)}×{plain(factor)}")
    elif cat.scoring == "class":
        got = _class_credits(e, e.category, cat, rules, classes or {})
        if isinstance(got, Problem):
            return [got]
        credits, what = got
        parts += [what, rules.awards[e.award].name]
    elif cat.scoring == "hours":
        units = (e.hours / cat.per_hours).to_integral_value(rounding=ROUND_FLOOR)
        credits = units * cat.credits_per_unit
        parts.append(f"{plain(e.hours)} 小时（每满 {plain(cat.per_hours)} 小时 {fmt(cat.credits_per_unit)} 学分）")
    else:
        courses = {
            c: comp
            for comp in rules.completions.values()
            if comp.category == e.category
            for c in (*comp.required, *comp.electives)
        }
        comp = courses.get(e.course)
        if comp is None:
            return [Problem("course", "DK312", {"value": e.course, "allowed": _allowed(sorted(courses))})]
        course = comp.required.get(e.course) or comp.electives[e.course]
        kind = "必修" if e.course in comp.required else f"选修 {fmt(course.points)} 分"
        parts.append(f"{course.name}（{kind}，计入{comp.name}）")
        credits = Decimal(0)
    levels, awards = list(rules.levels), list(rules.awards)
    return Score(
        credits=credits,
        rule=" · ".join(parts) + f" → {fmt(credits)}",
        module=cat.module,
        level_rank=levels.index(e.level) if e.level in rules.levels else len(levels),
        award_rank=awards.index(e.award) if e.award in rules.awards else len(awards),
    )
