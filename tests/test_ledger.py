"""Ledgers on hand-computed cases: caps and their order, completions, graduation, and cross-claim checks.

Expected numbers come from rules/credits/*.yaml (the demo school's numbers) and the rules stated in
generator/ledger.py's docstring (claims scored by their own year's version; per-year caps, when a school adds
some, by that year's version; the research cap, completions and graduation by the governing version that
rules/school.yaml names; cap order: credits, level, award, date, file).

The repository's rules read the pilot report's second round (its work-flow table, December 2014) as: the
adjusted rules govern every cohort being certified, so the governing version is the one in force in the final
year of study (2014-2015 for the 2012–2014 cohorts: research cap 10). Tests of the cap order keep the first
version's cap of 8 by using the other reading, ``entry_year`` (``rules_entry_year``), where the 2013 cohort is
governed by 2012-2013.yaml; both readings are tested below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from dekt.check import check_repository
from dekt.diagnostics import Severity
from dekt.ledger import compute_ledger
from dekt.records import Entry
from dekt.roster import Student
from dekt.rules import load_rules
from dekt.scoring import Score, score
from helpers import ROOT, claim_text, make_repo

D = Decimal


@pytest.fixture(scope="module")
def rules():
    loaded, problems = load_rules(ROOT)
    assert loaded is not None and problems == [], problems
    return loaded


@pytest.fixture(scope="module")
def rules_entry_year(tmp_path_factory):
    """The project's rules read the other way: the version of the cohort's first year governs its study period."""
    root = make_repo(tmp_path_factory.mktemp("entry"))
    path = root / "rules/school.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("  study_period: final_year\n") == 1
    path.write_text(text.replace("  study_period: final_year\n", "  study_period: entry_year\n"), encoding="utf-8")
    loaded, problems = load_rules(root)
    assert loaded is not None and problems == [], problems
    return loaded


def student(cohort: int) -> Student:
    return Student(f"{cohort}010001", "测试", "customs", f"{cohort}级1班", cohort, "enrolled", 2)


def claim(rules, name: str, category: str, day: str, file: str | None = None, **fields) -> tuple[Entry, Score]:
    """An entry scored by the rules of its own academic year; ``name`` is its activity and default file."""
    d = date.fromisoformat(day)
    values = dict(level=None, award=None, role=None, rank=None, hours=None, course=None, credits=None, evidence=None)
    values.update(fields)
    if values["hours"] is not None:
        values["hours"] = D(values["hours"])
    e = Entry(
        file=file or f"records/claims/{rules.academic_year(d)}/customs/{name}.yaml", index=None, line=1, col=1,
        student="x", category=category, activity=name, date=d, registered=d, shared_evidence=False, **values,
    )  # fmt: skip
    s = score(e, rules.version_for(rules.academic_year(d)).rules)
    assert isinstance(s, Score), s
    return e, s


def by_name(ledger) -> dict:
    return {it.entry.activity: it for it in ledger.items}


def excluded(ledger) -> set[str]:
    return {it.entry.activity for it in ledger.items if not it.counted}


def module(ledger, mid: str) -> Decimal:
    return next(m.credits for m in ledger.modules if m.id == mid)


# ---------------------------------------------------------------- study-period research cap


def research_six(rules):
    """Six research claims in 2014-2015 (scored by the 2014-2015 rules); 11.2 credits in all."""
    return [
        claim(rules, "X", "challenge_cup", "2015-05-20", level="national", award="second", role="leader"),  # 4.0
        claim(rules, "Y", "subject_competition", "2015-04-10", level="national", award="second", role="leader"),  # 3.0
        claim(rules, "U", "innovation_training", "2015-01-10", level="provincial", award="approved",
              role="leader"),  # 1.5
        claim(rules, "Z", "challenge_cup", "2014-11-15", level="school", award="first", role="leader"),  # 1.5
        claim(rules, "W", "research_project", "2015-06-10", level="school", award="completed", role="leader"),  # 1.0
        claim(rules, "V", "academic_forum", "2015-03-01", level="school", award="participation"),  # 0.2
    ]  # fmt: skip


@pytest.mark.parametrize(
    "reading, cohort, limit, out, counted",
    [
        # final_year (the repository's reading): every cohort 2012–2014 ends its study in 2015-2016 or later,
        # where 2014-2015.yaml is in force: research cap 10.
        # order X 4, Y 3, U 1.5 (provincial), Z 1.5 (school), W 1.0, V 0.2
        # running: 4, 7, U 8.5 ✓, Z 10 ✓, W 11 ✗, V 10.2 ✗
        ("final_year", 2012, "10", {"W", "V"}, "10.0"),
        ("final_year", 2013, "10", {"W", "V"}, "10.0"),
        ("final_year", 2014, "10", {"W", "V"}, "10.0"),
        # entry_year: cohorts 2012 and 2013 start under 2012-2013.yaml: research cap 8.
        # running: 4, 7, U 8.5 ✗, Z 8.5 ✗, W 8 ✓, V 8.2 ✗
        ("entry_year", 2012, "8", {"U", "Z", "V"}, "8.0"),
        ("entry_year", 2013, "8", {"U", "Z", "V"}, "8.0"),
        # cohort 2014 starts under 2014-2015.yaml: cap 10, as above
        ("entry_year", 2014, "10", {"W", "V"}, "10.0"),
    ],
)
def test_research_cap_follows_the_governing_version(rules, rules_entry_year, reading, cohort, limit, out, counted):
    # Before: the cohort's first-year version always governed (a 2012 student kept the cap of 8). The report's
    # second round certified the 2012–2014 cohorts by the adjusted system, so the repository now reads it as
    # final_year; both readings are a one-word choice in rules/school.yaml and both are checked here.
    chosen = rules if reading == "final_year" else rules_entry_year
    assert chosen.school.versions.study_period == reading
    ledger = compute_ledger(student(cohort), research_six(chosen), chosen)
    assert {it.entry.activity: it.credits for it in ledger.items} == {
        "X": D("4.0"), "Y": D("3.0"), "U": D("1.5"), "Z": D("1.5"), "W": D("1.0"), "V": D("0.2"),
    }  # fmt: skip
    assert excluded(ledger) == out
    assert {it.entry.activity for it in ledger.capped} == out
    assert module(ledger, "research") == D(counted)
    for it in ledger.capped:
        assert (it.excluded_by, it.cap_name, it.cap_limit) == ("research_total", "科研学分学制内上限", D(limit))
        assert f"上限 {limit}.0 学分" in it.excluded_why


def test_never_split_and_a_later_smaller_item_still_fits(rules_entry_year):
    rules = rules_entry_year  # the 2013 cohort under its first-year version: cap 8
    x, y, _, z, w, _ = research_six(rules)
    # cap 8: X 4 + Y 3 = 7; Z 1.5 would make 8.5, so Z is left out whole (not 1.0 of it)
    ledger = compute_ledger(student(2013), [x, y, z], rules)
    assert excluded(ledger) == {"Z"}
    assert module(ledger, "research") == D("7.0")
    assert by_name(ledger)["Z"].credits == D("1.5")  # shown with its full credits, marked as not counted
    # W 1.0, dated after Z, still fits: 7 + 1 = 8
    ledger = compute_ledger(student(2013), [x, y, z, w], rules)
    assert excluded(ledger) == {"Z"}
    assert module(ledger, "research") == D("8.0")


def _base(rules):
    """X 4.0 + Y 3.0 = 7.0: under the cap of 8 exactly one more 1.0 item fits."""
    return research_six(rules)[:2]


# Each pair: two 1.0 research items for the last free credit; the first wins, the second is left out.
# The loser is always passed first, its file path sorts first, and where the date does not decide it
# is the earlier one, so neither input order, file path nor date can make the test pass by accident.
TIES = {
    "level": (  # same credits; provincial before school
        ("R1-school", "research_project", "2014-10-01", dict(level="school", award="completed", role="leader")),
        ("R2-prov", "academic_forum", "2015-05-01", dict(level="provincial", award="presented")),
    ),
    "award": (  # same credits and level (school); second prize (3rd award) before completed (6th)
        ("R1-completed", "research_project", "2014-10-01", dict(level="school", award="completed", role="leader")),
        ("R2-second", "challenge_cup", "2015-05-01", dict(level="school", award="second", role="leader")),
    ),
    "date": (  # same credits, level and award; the earlier date first
        ("R1-later", "subject_competition", "2015-04-01", dict(level="school", award="second", role="leader")),
        ("R2-earlier", "subject_competition", "2014-11-01", dict(level="school", award="second", role="leader")),
    ),
}


@pytest.mark.parametrize("key", sorted(TIES))
def test_cap_ties_broken_by_level_then_award_then_date(rules_entry_year, key):
    rules = rules_entry_year  # cap 8 for the 2013 cohort (see the module docstring)
    loser, winner = (claim(rules, name, cat, day, **f) for name, cat, day, f in TIES[key])
    ledger = compute_ledger(student(2013), [*_base(rules), loser, winner], rules)
    assert excluded(ledger) == {loser[0].activity}
    assert module(ledger, "research") == D("8.0")  # 4 + 3 + 1


def test_cap_ties_broken_by_file_path_last(rules_entry_year):
    rules = rules_entry_year  # cap 8 for the 2013 cohort
    fields = dict(level="school", award="second", role="leader")
    folder = "records/claims/2014-2015/customs"
    b = claim(rules, "R-b", "subject_competition", "2015-04-01", f"{folder}/b.yaml", **fields)
    a = claim(rules, "R-a", "subject_competition", "2015-04-01", f"{folder}/a.yaml", **fields)
    ledger = compute_ledger(student(2013), [*_base(rules), b, a], rules)
    assert excluded(ledger) == {"R-b"}


def test_cap_result_does_not_depend_on_input_order(rules):
    items = research_six(rules)
    first = compute_ledger(student(2013), items, rules)
    second = compute_ledger(student(2013), list(reversed(items)), rules)
    assert first == second


# ---------------------------------------------------------------- no caps but research; per-year caps a school adds


def volunteering_two_years(rules, later_hours: str):
    return [
        claim(rules, "V13-12h", "volunteering", "2013-10-10", hours="12"),  # ⌊12/10⌋ × 0.5 = 0.5
        claim(rules, "V13-40h", "volunteering", "2014-04-10", hours="40"),  # ⌊40/10⌋ × 0.5 = 2.0
        claim(rules, "V14-24h", "volunteering", "2014-10-12", hours="24"),  # ⌊24/8⌋ × 0.5 = 1.5
        claim(rules, "V14-later", "volunteering", "2015-04-01", hours=later_hours),
    ]


def test_volunteering_has_no_cap(rules):
    # Before: a yearly volunteering cap of 2 left V13-12h out. The report's summary says extension credits have no
    # upper limit, so every item counts: 0.5 + 2.0 + 1.5 + ⌊16/8⌋ × 0.5 = 1.0 → 5.0 (numbers are the demo's).
    ledger = compute_ledger(student(2013), volunteering_two_years(rules, "16"), rules)
    assert excluded(ledger) == set()
    assert module(ledger, "quality") == D("5.0")


@pytest.fixture(scope="module")
def rules_yearly_cap_2(tmp_path_factory):
    """The project's rules plus a volunteering cap of 2 per academic year in 2014-2015.yaml only (a local rule)."""
    root = make_repo(tmp_path_factory.mktemp("rules2"))
    path = root / "rules/credits/2014-2015.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "caps:\n"
    assert text.count(anchor) == 1
    cap = (
        "  volunteering_yearly:\n    name: 志愿公益每学年上限\n"
        "    scope: academic_year\n    category: volunteering\n    max: 2\n"
    )
    path.write_text(text.replace(anchor, anchor + cap), encoding="utf-8")
    loaded, problems = load_rules(root)
    assert loaded is not None and problems == [], problems
    return loaded


def test_a_yearly_cap_a_school_adds_uses_that_years_version(rules_yearly_cap_2):
    rules = rules_yearly_cap_2
    # 2013-2014 is scored by 2012-2013.yaml, which has no such cap: 0.5 + 2.0 both count.
    # 2014-2015 has the cap of 2: V14-24h 1.5 first (more credits), then V14-later ⌊16/8⌋ × 0.5 = 1.0 → 2.5 > 2 ✗
    ledger = compute_ledger(student(2013), volunteering_two_years(rules, "16"), rules)
    assert excluded(ledger) == {"V14-later"}
    assert by_name(ledger)["V14-later"].excluded_by == "volunteering_yearly"
    assert module(ledger, "quality") == D("4.0")  # 0.5 + 2.0 + 1.5
    # ⌊8/8⌋ × 0.5 = 0.5: 1.5 + 0.5 = 2.0, exactly the cap, both count
    ledger = compute_ledger(student(2013), volunteering_two_years(rules, "8"), rules)
    assert excluded(ledger) == set()


def test_clubs_and_military_training_have_no_cap(rules):
    # Before: clubs were capped at 1.5 a year and military training at 1.5 over the study period. The report caps
    # nothing but research: leader 1.0 + member 0.5 + member 0.5 = 2.0; military pass 1.0 + excellent 1.5 = 2.5.
    items = [
        claim(rules, "C-member-late", "clubs", "2015-03-20", role="member"),
        claim(rules, "C-leader", "clubs", "2014-10-26", role="leader"),
        claim(rules, "C-member-early", "clubs", "2014-11-02", role="member"),
        claim(rules, "M-pass", "military_training", "2013-09-10", award="pass"),
        claim(rules, "M-excellent", "military_training", "2014-09-10", award="excellent"),
    ]
    ledger = compute_ledger(student(2013), items, rules)
    assert excluded(ledger) == set()
    assert module(ledger, "quality") == D("4.5")  # 2.0 + 2.5


# ---------------------------------------------------------------- completion (团校)


def courses(rules, *ids: str):
    return [claim(rules, f"团校 {c}", "youth_league_school", "2013-11-10", course=c) for c in ids]


@pytest.mark.parametrize(
    "ids, complete, points, missing, quality",
    [
        # all 4 required; electives e03 2 + e04 2 = 4 ≥ 4 → complete, +2.0
        (("r01", "r02", "r03", "r04", "e03", "e04"), True, "4", (), "2.0"),
        # required r04 missing, even with e03 2 + e04 2 + e06 2 = 6 points → not complete
        (("r01", "r02", "r03", "e03", "e04", "e06"), False, "6", ("r04",), "0"),
        # all required, electives e01 1 + e02 1 + e05 1 = 3 < 4 → not complete
        (("r01", "r02", "r03", "r04", "e01", "e02", "e05"), False, "3", (), "0"),
        # electives exactly e01 1 + e02 1 + e03 2 = 4 → complete
        (("r01", "r02", "r03", "r04", "e01", "e02", "e03"), True, "4", (), "2.0"),
        # more than enough: 1+1+2+2+1+2 = 9
        (("r01", "r02", "r03", "r04", "e01", "e02", "e03", "e04", "e05", "e06"), True, "9", (), "2.0"),
    ],
)
def test_youth_league_school_completion(rules, ids, complete, points, missing, quality):
    ledger = compute_ledger(student(2013), courses(rules, *ids), rules)
    (c,) = ledger.completions
    assert (c.id, c.module, c.credits) == ("youth_league_school", "quality", D("2"))
    assert c.complete is complete
    assert c.elective_points == D(points)
    assert c.required_missing == missing
    assert all(it.credits == 0 and it.counted for it in ledger.items)  # courses alone earn nothing
    assert module(ledger, "quality") == D(quality)
    assert ledger.total == D(quality)


# ---------------------------------------------------------------- graduation and totals


def test_graduation_met_at_the_research_minimum_alone(rules):
    # Before: minimums in every module (quality 4, research 2, professional 2) and a total of 10. The report makes
    # innovation credits the only graduation requirement; the minimum of 2 is the demo's.
    items = [
        claim(rules, "paper", "paper", "2014-04-10", level="provincial", award="published", role="first_author")
    ]  # 2.0
    ledger = compute_ledger(student(2013), items, rules)
    assert {m.id: (m.credits, m.required, m.met) for m in ledger.modules} == {
        "quality": (D("0"), D("0"), True),
        "research": (D("2.0"), D("2"), True),
        "professional": (D("0"), D("0"), True),
    }
    assert (ledger.total, ledger.total_required) == (D("2.0"), D("0"))
    assert ledger.graduation_met


def test_short_in_research_is_not_met_whatever_the_rest(rules):
    items = [
        claim(rules, "clubs", "clubs", "2013-10-26", role="leader"),  # 1.0
        claim(rules, "arts", "arts_sports", "2013-11-20", level="national", award="second"),  # 2.5
        claim(rules, "forum", "academic_forum", "2014-05-20", level="provincial", award="presented"),  # 1.0
        claim(rules, "intern", "customs_internship", "2014-07-15", award="excellent"),  # 3.0
    ]  # fmt: skip
    ledger = compute_ledger(student(2013), items, rules)
    # quality 3.5, research 1.0 < 2, professional 3.0; total 7.5
    assert {m.id: m.met for m in ledger.modules} == {"quality": True, "research": False, "professional": True}
    assert ledger.total == D("7.5")
    assert not ledger.graduation_met


def test_totals_are_counted_items_plus_completions(rules):
    x, y, _, z, w, _ = research_six(rules)
    items = [
        claim(rules, "V-12h", "volunteering", "2013-10-10", hours="12"),  # ⌊12/10⌋ × 0.5 = 0.5 (no cap any more)
        claim(rules, "V-40h", "volunteering", "2014-04-10", hours="40"),  # 2.0
        x, y, z, w,  # research 4 + 3 + 1.5 + 1 = 9.5 ≤ the governing cap of 10: all count
        claim(rules, "intern", "customs_internship", "2015-01-05", award="pass"),  # 1.0
        *courses(rules, "r01", "r02", "r03", "r04", "e03", "e04"),  # 团校 complete: +2.0 to quality
    ]  # fmt: skip
    ledger = compute_ledger(student(2013), items, rules)
    assert excluded(ledger) == set()
    # quality 0.5 + 2.0 + 2.0 (团校) = 4.5; research 9.5; professional 1.0; total 15.0
    assert {m.id: m.credits for m in ledger.modules} == {
        "quality": D("4.5"), "research": D("9.5"), "professional": D("1.0"),
    }  # fmt: skip
    assert ledger.total == D("15.0")
    counted = sum((it.credits for it in ledger.items if it.counted), D(0))
    granted = sum((c.credits for c in ledger.completions if c.complete), D(0))
    assert ledger.total == counted + granted == sum((m.credits for m in ledger.modules), D(0))
    assert ledger.graduation_met  # research 9.5 ≥ 2
    assert ledger.rules_since == "2014-2015"  # the 2013 cohort's final year, 2016-2017, is under 2014-2015.yaml


# ---------------------------------------------------------------- cross-claim checks in real repositories

Y1415 = "records/claims/2014-2015/customs"


def _found(checked) -> list[tuple]:
    return [(d.file, d.line, d.code) for d in checked.diagnostics]


def _line(text: str, key: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if row.lstrip(" -{").startswith(f"{key}:"))


def volunteering(activity: str, day: str, hours: str, evidence: str, sid: str = "2014010001") -> str:
    return claim_text(sid, activity=activity, category="volunteering", date=day, registered="2014-12-02",
                      role=None, hours=hours, evidence=evidence)  # fmt: skip


def test_duplicate_claim_across_two_files(repo_factory):
    a = volunteering("2014年国际进口博览会志愿服务", "2014-10-12", "12", "签到表 A")
    # the same activity written with full-width digits and spaces, same day: a duplicate
    b = volunteering("２０１４年 国际进口博览会 志愿服务", "2014-10-12", "16", "签到表 B")
    # the same activity on another day is a different claim
    c = volunteering("2014年国际进口博览会志愿服务", "2014-10-19", "8", "签到表 C")
    files = {f"{Y1415}/a.yaml": a, f"{Y1415}/b.yaml": b, f"{Y1415}/c.yaml": c}
    checked = check_repository(repo_factory(files=files))
    assert _found(checked) == [(f"{Y1415}/b.yaml", _line(b, "student"), "DK401")]
    assert f"{Y1415}/a.yaml:{_line(a, 'student')}" in checked.diagnostics[0].message
    ledger = checked.ledgers["2014010001"]
    assert {it.entry.file for it in ledger.items} == {f"{Y1415}/a.yaml", f"{Y1415}/c.yaml"}
    assert ledger.total == D("1.0")  # a ⌊12/8⌋ × 0.5 = 0.5 + c ⌊8/8⌋ × 0.5 = 0.5; b's 1.0 not counted


def test_duplicate_inside_one_group_file(repo_factory):
    text = (
        "activity: 2014年国际进口博览会志愿服务\n"
        "category: volunteering\n"
        "date: 2014-10-12\n"
        "registered: 2014-12-02\n"
        "evidence: 签到表 DH-000123\n"
        "participants:\n"
        "  - {student: 2014010001, hours: 12}\n"
        "  - {student: 2014010002, hours: 8}\n"
        "  - {student: 2014010001, hours: 16}\n"
    )
    rel = f"{Y1415}/group.yaml"
    checked = check_repository(repo_factory(files={rel: text}))
    # the shared evidence is not "reused" among the file's own participants: only DK401
    assert _found(checked) == [(rel, 9, "DK401")]
    assert f"{rel}:7" in checked.diagnostics[0].message
    assert checked.ledgers["2014010001"].total == D("0.5")  # ⌊12/8⌋ × 0.5; the repeat's 1.0 is dropped
    assert checked.ledgers["2014010002"].total == D("0.5")  # ⌊8/8⌋ × 0.5


def test_the_same_youth_league_course_twice(repo_factory):
    first = claim_text("2013010001", activity="团校第一期", category="youth_league_school", date="2013-11-10",
                       registered="2013-12-05", role=None, course="r01", evidence="结业名单 1")  # fmt: skip
    again = claim_text("2013010001", activity="团校第二期", category="youth_league_school", date="2014-11-10",
                       registered="2014-12-05", role=None, course="r01", evidence="结业名单 2")  # fmt: skip
    files = {"records/claims/2013-2014/customs/t1.yaml": first, f"{Y1415}/t2.yaml": again}
    checked = check_repository(repo_factory(files=files))
    assert _found(checked) == [(f"{Y1415}/t2.yaml", _line(again, "student"), "DK401")]


def test_evidence_reused(repo_factory):
    cup = dict(
        category="challenge_cup",
        date="2015-04-10",
        registered="2015-05-04",
        level="school",
        award="second",
        advisor="hg-li",
    )  # a research claim names its advisor
    one = claim_text("2014010001", activity="校“挑战杯”", evidence="获奖证书 CC-1", **cup)
    # another student, another activity, the same certificate written without the space
    two = claim_text("2014010002", activity="校学科竞赛", evidence="获奖证书CC-1",
                     **{**cup, "category": "subject_competition"})  # fmt: skip
    group = (
        "activity: 校园马拉松志愿服务\ncategory: volunteering\ndate: 2014-10-12\nregistered: 2014-12-02\n"
        "participants:\n"
        "  - {student: 2014010001, hours: 8, evidence: 签到表 M-1}\n"
        "  - {student: 2014010002, hours: 8, evidence: 签到表 M-2}\n"
        "  - {student: 2014010003, hours: 8, evidence: 签到表 M-1}\n"
    )
    files = {f"{Y1415}/one.yaml": one, f"{Y1415}/two.yaml": two, f"{Y1415}/zgroup.yaml": group}
    checked = check_repository(repo_factory(files=files))
    assert _found(checked) == [
        (f"{Y1415}/two.yaml", _line(two, "evidence"), "DK402"),
        (f"{Y1415}/zgroup.yaml", 8, "DK402"),  # the third participant's own evidence, the first one's
    ]
    messages = [d.message for d in checked.diagnostics]
    assert f"{Y1415}/one.yaml:{_line(one, 'student')}" in messages[0]
    assert f"{Y1415}/zgroup.yaml:6" in messages[1]


def test_cap_warnings_point_at_the_excluded_items(repo_factory, rules):
    # the six research claims of research_six, for a 2013 and a 2014 student: both governed by 2014-2015.yaml (cap 10)
    spec = {
        "X": dict(category="challenge_cup", date="2015-05-20", level="national", award="second", role="leader"),
        "Y": dict(category="subject_competition", date="2015-04-10", level="national", award="second", role="leader"),
        "U": dict(category="innovation_training", date="2015-01-10", level="provincial", award="approved",
                  role="leader"),
        "Z": dict(category="challenge_cup", date="2014-11-15", level="school", award="first", role="leader"),
        "W": dict(category="research_project", date="2015-06-10", level="school", award="completed", role="leader"),
        "V": dict(category="academic_forum", date="2015-03-01", level="school", award="participation", role=None),
    }  # fmt: skip
    files = {}
    for sid in ("2013010001", "2014010001"):
        for name, fields in spec.items():
            files[f"{Y1415}/{sid}-{name}.yaml"] = claim_text(
                sid,
                activity=f"科研成果 {name}",
                registered="2015-06-15",
                evidence=f"证明 {sid}-{name}",
                advisor="hg-gu",
                **fields,
            )
    checked = check_repository(repo_factory(files=files))
    assert checked.ok  # DK405 is a warning: the claims are valid, only not counted
    warnings = [d for d in checked.diagnostics if d.code == "DK405"]
    assert all(d.severity is Severity.WARNING for d in warnings)
    assert [d.code for d in checked.diagnostics] == ["DK405"] * len(warnings)
    pointed = {d.file.rsplit("/", 1)[1].removesuffix(".yaml") for d in warnings}
    # both: running 4, 7, 8.5, 10, W ✗, V ✗ (cap 10)
    assert pointed == {"2013010001-W", "2013010001-V", "2014010001-W", "2014010001-V"}
    for d in warnings:
        assert d.line == _line(files[d.file], "student")
    msg = {d.file.rsplit("/", 1)[1]: d.message for d in warnings}
    assert "（10.0 学分）" in msg["2013010001-W.yaml"] and "1.0 学分未计入" in msg["2013010001-W.yaml"]
    assert "（10.0 学分）" in msg["2014010001-V.yaml"] and "0.2 学分未计入" in msg["2014010001-V.yaml"]
    assert module(checked.ledgers["2013010001"], "research") == D("10.0")
    assert module(checked.ledgers["2014010001"], "research") == D("10.0")
