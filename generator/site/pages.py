"""Generated pages: the contexts gathered from the data, rendered by Jinja into Markdown, and the navigation.

Pages are Markdown with HTML blocks for the data tables and charts. Every value a template prints is text
from outside (claims, pull requests, the roster, the rules) unless it is ``Markup`` built here: the
environment's ``finalize`` turns it into HTML that Markdown leaves alone (``md_text``), so an activity named
``*2015*`` stays as written, a masked id ``2014****03`` is not read as emphasis, and a title such as
``[x](javascript:…)`` or ``</title><script>`` is shown, never run. Values that MkDocs' theme prints itself
(front matter, navigation) are plain HTML-escaped text (the theme's Jinja does not escape).

The number of pages depends on the rules (versions),
the batches on notice and the fixed statistics sections, never on the number of students.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..ledger import Ledger
from ..rules import Rules
from ..scoring import fmt
from . import charts
from .catalogue import catalogue
from .stats import MIN_GROUP, compute

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Page:
    """One generated page: where it goes under docs/, its title in the navigation (plain text), and its Markdown."""

    path: str
    title: str
    text: str


def _credits(x) -> str:
    return "—" if x is None else fmt(Decimal(x))


def _pct(x) -> str:
    return "—" if x is None else f"{x}%"


def _cn_date(x) -> str:
    d = date.fromisoformat(str(x)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def _cjk(text: str) -> str:
    """Text without the spaces a folded YAML line leaves between Chinese characters."""
    return _CJK_GAP.sub("", text)


def _by_activity(entries: list[dict]) -> list[list[dict]]:
    """Consecutive entries of one activity (same name, date and category) as one group."""
    groups: list[list[dict]] = []
    for e in sorted(entries, key=lambda e: (e["activity"], e["date"], e["category"])):
        if groups and (groups[-1][0]["activity"], groups[-1][0]["date"], groups[-1][0]["category"]) == (
            e["activity"],
            e["date"],
            e["category"],
        ):
            groups[-1].append(e)
        else:
            groups.append([e])
    return groups


# Characters that mean something to Markdown or to one of the site's extensions (emphasis, links and images,
# attr_list's ``{: }``, emoji ``:name:``, abbr's ``*[ ]``, tables, headings, lists, snippets ``--8<--``, HTML),
# and the HTML-significant ones. Each becomes a numeric character reference: the browser shows the character,
# Markdown sees no syntax. Line breaks and other control characters become spaces, so no value starts a block.
_MD_SPECIAL = "\\`*_{}[]()#+-!|~:=^<>&\"'$"
_MD_TABLE = {ord(c): f"&#{ord(c)};" for c in _MD_SPECIAL} | {c: " " for c in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029)}
_LIST_START = re.compile(r"^(\s*\d+)\.")


def md_text(value: object) -> Markup:
    """Outside text as HTML that Markdown and its extensions leave as it is: every special character as a reference."""
    text = str(value).translate(_MD_TABLE).strip()
    return Markup(_LIST_START.sub(r"\1&#46;", text))  # "1. …" would start a list


def theme_text(value: object) -> str:
    """Text for a place MkDocs' theme prints without escaping (title, description, navigation, site name)."""
    return html.escape(" ".join(str(value).split()), quote=True)


def _finalize(value: object) -> object:
    """What a template prints: Markup and numbers as they are, everything else as text (``md_text``)."""
    if isinstance(value, (Markup, int, Decimal, float)) and not isinstance(value, bool):
        return value
    return md_text(value)


_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _ident(value: object) -> Markup:
    """An identifier (category id, rules version) for a link or an anchor; anything else is a bug upstream."""
    if not _IDENT.match(str(value)):
        raise ValueError(f"not an identifier: {value!r}")
    return Markup(str(value))


def _yaml(text) -> Markup:
    """A string as a YAML (JSON) scalar for a page's front matter, HTML-escaped: the theme prints it as HTML."""
    return Markup(json.dumps(theme_text(text), ensure_ascii=False))


def _semester(sem: str) -> tuple[str, str]:
    """``2014-2015-1`` → (``2014-2015``, ``第1学期``)."""
    return sem[:9], f"第{sem[-1]}学期"


def environment() -> Environment:
    """The Jinja environment of the page templates: every printed value is text (``_finalize``), then autoescaped."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize)  # fmt: skip
    env.filters.update(c=_credits, pct=_pct, cn_date=_cn_date, cjk=_cjk, groupby_activity=_by_activity, yamlstr=_yaml,
                       ident=_ident)  # fmt: skip
    return env


def _render(env: Environment, template: str, **context) -> str:
    return env.get_template(template).render(**context)


def stats_charts(s: dict) -> dict[str, Markup]:
    """The SVG charts of the statistics pages (their numbers are in the tables beside them)."""
    S, f = charts.Series, charts.as_float
    modules = s["modules"]
    out = {}
    out["modules"] = charts.hbar(
        "各模块人均学分 · mean credits per student by module",
        [m.name for m in modules],
        [S("人均学分", tuple(f(r["mean"]) for r in s["module_rows"]))],
        unit="学分",
        decimals=2,
    )
    rows = s["category_rows"]
    out["participation"] = charts.hbar(
        "各类别参与率 · share of students with a claim, by category",
        [r["category"].name for r in rows],
        [S("参与率", tuple(f(r["share"]) for r in rows))],
        unit="%",
        decimals=1,
    )
    out["category_credits"] = charts.hbar(
        "各类别计入学分 · credits counted by category",
        [r["category"].name for r in rows],
        [S("计入学分", tuple(f(r["credits"]) for r in rows))],
        unit="学分",
        decimals=1,
    )
    depts = [g for g in s["departments"] if g.shown]
    out["departments"] = charts.hbar(
        "各系部人均学分（按模块） · mean credits by department and module",
        [g.label for g in depts],
        [S(m.name, tuple(f(g.module_mean(m.id)) for g in depts)) for m in modules],
        unit="学分",
        decimals=2,
        stacked=True,
    )
    cohorts = [g for g in s["cohorts"] if g.shown]
    out["cohorts"] = charts.vbar(
        "各年级达到毕业要求的比例 · share meeting graduation requirements by cohort",
        [g.label for g in cohorts],
        [S("达到毕业要求", tuple(f(g.met_share) for g in cohorts))],
        unit="%",
        decimals=1,
    )
    hist = s["histogram"]
    labels = [f"{_credits(lo)}–{_credits(hi)}" for lo, hi, _, _ in hist["bins"]]
    marker = None
    if len(s["total_required"]) == 1 and hist["bins"]:
        need = s["total_required"][0]
        marker = (float(need / hist["width"]), f"毕业要求 {_credits(need)} 学分")
    out["histogram"] = charts.vbar(
        "学生总学分分布 · students by total credits",
        labels,
        [S("学生人数", tuple(float(c) for _, _, c, _ in hist["bins"]))],
        unit="人",
        marker=marker,
    )
    sems = s["semesters"]
    xs = [_semester(x["id"]) for x in sems]
    out["trend_claims"] = charts.line(
        "各学期申报条数与参与人数 · claims and active students per semester",
        [a for a, _ in xs],
        [
            S("申报条数", tuple(float(x["claims"]) for x in sems)),
            S("参与学生", tuple(float(x["students"]) for x in sems)),
        ],
        sublabels=[b for _, b in xs],
    )
    out["trend_modules"] = charts.vbar(
        "各学期计入学分（按模块） · credits counted per semester by module",
        [a for a, _ in xs],
        [S(m.name, tuple(f(x["modules"][m.id]) for x in sems)) for m in modules],
        unit="学分",
        stacked=True,
        sublabels=[b for _, b in xs],
    )
    levels = s["levels"]
    years = s["award_years"]
    out["awards"] = charts.vbar(
        "各学年各级成果（项） · achievements by level and academic year",
        years,
        [S(l.name, tuple(float(s["award_year"][(l.id, y)]) for y in years)) for l in levels],
        unit="项",
        stacked=True,
    )
    return {k: Markup(v) for k, v in out.items()}


def _batch_page(b: dict) -> str:
    return f"notice/{b['pr']}.md"


def generate(rules: Rules, ledgers: dict[str, Ledger], batches: list[dict], *, issued: date, now: datetime | None,
             transcripts: int) -> tuple[list[Page], dict[str, str]]:  # fmt: skip
    """Every generated page, and the snippets hand-written pages include (``--8<-- "name"``)."""
    env = environment()
    inst = rules.school.institution
    common = {"institution": inst, "issued": issued, "now": now, "school": rules.school}
    versions = catalogue(rules)
    s = compute(rules, ledgers, issued)
    figures = stats_charts(s)
    pages = [Page("catalogue/index.md", "概览", _render(env, "catalogue_index.md.j2", versions=versions, **common))]
    for v in reversed(versions):
        label = f"{v['since']} 起" + ("（现行）" if v["current"] else "")
        pages.append(Page(f"catalogue/{v['since']}.md", label, _render(env, "catalogue_version.md.j2", v=v, **common)))
    notice = {
        "batches": batches,
        "batch_page": _batch_page,
        "entries": sum(len(b["entries"]) for b in batches),
        **common,
    }
    pages.append(Page("notice/index.md", "当前公示", _render(env, "notice_index.md.j2", **notice)))
    for b in batches:
        depts = {}
        for e in b["entries"]:
            depts.setdefault(e["department_name"], []).append(e)
        pages.append(
            Page(
                _batch_page(b),
                f"#{b['pr']} {b['title']}",
                _render(env, "notice_batch.md.j2", b=b, by_department=depts, **common),
            )
        )
    stats = {"s": s, "fig": figures, "min_group": MIN_GROUP, "semester": _semester, **common}
    for name, title in (("index", "概览"), ("modules", "模块与类别"), ("departments", "系部、年级与班级"),
                        ("distribution", "学分分布"), ("trends", "学期趋势"), ("awards", "获奖与成果")):  # fmt: skip
        pages.append(Page(f"stats/{name}.md", title, _render(env, f"stats_{name}.md.j2", **stats)))
    snippets = {
        "home-status.md": _render(env, "home_status.md.j2", s=s, versions=versions, transcripts=transcripts, **notice)
    }
    return pages, snippets
