"""What the rules in force offer a sheet: categories by kind, and the names people type for levels, awards, roles."""

from __future__ import annotations

from ..models.claims import ClaimFile
from ..models.rules import CreditRules


def claim_has(field: str) -> bool:
    """True when claim files take ``field`` (the advisor and credit-class fields arrive with later rules)."""
    return field in ClaimFile.model_fields


def class_categories(rules: CreditRules) -> list[str]:
    """Categories of credit-bearing classes (学分制教学班): a ``class`` scoring, or the category named so."""
    return [cid for cid, c in rules.categories.items() if c.scoring == "class" or cid == "credit_class"]


def categories_of(rules: CreditRules, scoring: str) -> list[str]:
    """Category ids a template sheet of this scoring lists (classes apart from other table categories)."""
    classes = class_categories(rules)
    if scoring == "class":
        return classes
    return [cid for cid, c in rules.categories.items() if c.scoring == scoring and cid not in classes]


def class_catalogue(rules, year: str | None = None) -> dict[str, object]:
    """Approved credit-bearing classes (rules/classes.yaml), id → class, open in ``year`` when given; else empty."""
    found = getattr(getattr(rules, "classes", None), "classes", None) or {}
    return {cid: c for cid, c in found.items() if year is None or getattr(c, "year", year) == year}


def keys_of(category, dim: str, rules: CreditRules) -> set[str]:
    """The levels, awards or roles a category takes: the keys of its credit table, its roles, a class's results."""
    if dim == "role":
        return set(category.roles or ())
    if dim == "award" and getattr(category, "passing", None):
        return set(category.passing) | ({"fail"} if "fail" in rules.awards else set())
    if dim not in category.by:
        return set()
    depth = category.by.index(dim)
    level = [category.table]
    for _ in range(depth):
        level = [x for node in level if isinstance(node, dict) for x in node.values()]
    return {k for node in level if isinstance(node, dict) for k in node}


def courses(rules: CreditRules) -> dict[str, str]:
    """Youth League school courses, id → name, required first."""
    out: dict[str, str] = {}
    for comp in rules.completions.values():
        out.update({cid: c.name for cid, c in comp.required.items()})
        out.update({cid: c.name for cid, c in comp.electives.items()})
    return out


def names(table: dict) -> dict[str, str]:
    """A lookup from what people type (the Chinese name, the English name or the id) to the id."""
    out: dict[str, str] = {}
    for key, item in table.items():
        out[key] = key
        for name in (getattr(item, "name", None), getattr(item, "en", None)):
            if name:
                out.setdefault(name.strip().lower() if name.isascii() else name.strip(), key)
    return out
