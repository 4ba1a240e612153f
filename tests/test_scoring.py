"""The credit rules engine on cases computed by hand from the tables in rules/credits/.

Every expected number below was worked out from the YAML tables, not read back from the engine; the
comment beside it shows the arithmetic. The tables' numbers are the demo school's (the pilot report gives
none); what the report decides is the structure (modules, three research tiers, which limits exist), tested
in test_pilot_rules.py. 2012-2013.yaml is the pilot's first round, 2014-2015.yaml the mid-pilot adjustment
(in the demo: volunteering per 8 h instead of 10 h, credit-bearing classes, Challenge Cup school third prize
0.5 → 0.8).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from dekt.check import check_repository
from dekt.models.rules import Category
from dekt.records import Entry
from dekt.rules import load_rules
from dekt.scoring import Problem, Score, fmt, score
from helpers import ROOT, claim_text

D = Decimal
FOLDER = "records/claims/{year}/customs"


@pytest.fixture(scope="module")
def rules():
    loaded, problems = load_rules(ROOT)
    assert loaded is not None and problems == [], problems
    return loaded


@pytest.fixture(scope="module")
def v2012(rules):
    return rules.version_for("2012-2013").rules


@pytest.fixture(scope="module")
def v2014(rules):
    return rules.version_for("2014-2015").rules


def entry(category: str, day: str = "2014-10-10", **fields) -> Entry:
    """A one-person entry; every field the engine reads is explicit, the rest is filler."""
    values = dict(
        file="records/claims/x/customs/a.yaml", index=None, line=1, col=1, student="2013010001",
        category=category, activity="活动", date=date.fromisoformat(day), registered=date.fromisoformat(day),
        level=None, award=None, role=None, rank=None, hours=None, course=None, credits=None, evidence=None,
        shared_evidence=False,
    )  # fmt: skip
    values.update(fields)
    if values["hours"] is not None:
        values["hours"] = D(values["hours"])
    return Entry(**values)


def scored(e: Entry, version, classes=None) -> Score:
    result = score(e, version, classes)
    assert isinstance(result, Score), result
    return result


# ---------------------------------------------------------------- table scoring


def test_challenge_cup_national_second_prize_leader(v2014):
    # challenge_cup.table.national.second = 4; roles.leader = 1.0 → 4 × 1.0 = 4.0
    s = scored(entry("challenge_cup", level="national", award="second", role="leader"), v2014)
    assert s.credits == D("4.0")
    assert s.rule == "“挑战杯”竞赛 · 国家级 · 二等奖 · 负责人 → 4.0"
    assert s.module == "research"


@pytest.mark.parametrize(
    "rank, credits, factor",
    [
        (2, "3.2", "0.8"),  # member factors [0.8, 0.6, 0.5]: rank 2 → 4 × 0.8 = 3.2
        (3, "2.4", "0.6"),  # rank 3 → 4 × 0.6 = 2.4
        (4, "2.0", "0.5"),  # rank 4 → the last factor, 4 × 0.5 = 2.0
        (5, "2.0", "0.5"),  # rank 5 → still the last factor, 4 × 0.5 = 2.0
        (9, "2.0", "0.5"),  # every later rank keeps 0.5
    ],
)
def test_challenge_cup_member_by_rank(v2014, rank, credits, factor):
    s = scored(entry("challenge_cup", level="national", award="second", role="member", rank=rank), v2014)
    assert s.credits == D(credits)
    assert s.rule == f"“挑战杯”竞赛 · 国家级 · 二等奖 · 成员（第 {rank} 名） 4.0×{factor} → {fmt(D(credits))}"


def test_member_credits_keep_two_decimals(v2014):
    # provincial second = 2.5; rank 5 → 2.5 × 0.5 = 1.25 (two decimals survive, shown as 1.25)
    s = scored(entry("challenge_cup", level="provincial", award="second", role="member", rank=5), v2014)
    assert s.credits == D("1.25")
    assert s.rule.endswith("2.5×0.5 → 1.25")


@pytest.mark.parametrize("rank, credits", [(2, "2.0"), (3, "1.2"), (6, "1.2")])
def test_paper_coauthor_factors(v2012, rank, credits):
    # paper.national.published = 4; coauthor [0.5, 0.3]: rank 2 → 4 × 0.5 = 2.0, rank 3+ → 4 × 0.3 = 1.2
    s = scored(entry("paper", level="national", award="published", role="coauthor", rank=rank), v2012)
    assert s.credits == D(credits)


def test_challenge_cup_school_third_prize_changed_mid_pilot(v2012, v2014):
    e = entry("challenge_cup", level="school", award="third", role="member", rank=2)
    assert scored(e, v2012).credits == D("0.4")  # 2012-2013: 0.5 × 0.8 = 0.4
    assert scored(e, v2014).credits == D("0.64")  # 2014-2015: 0.8 × 0.8 = 0.64


def _rounding_rules(v2014):
    """The 2014-2015 rules plus one category whose table values need rounding (the seed's never do)."""
    odd = Category.model_validate(
        {
            "name": "测试类别", "module": "research", "scoring": "table", "by": ["level"],
            "table": {"school": "0.45", "department": "0.35"},
            "roles": {"leader": "1", "member": ["0.5", "0.8"]},
        }
    )  # fmt: skip
    return v2014.model_copy(update={"categories": {**v2014.categories, "odd": odd}})


@pytest.mark.parametrize(
    "level, rank, credits",
    [
        ("school", 2, "0.23"),  # 0.45 × 0.5 = 0.225 → 0.23 half-up (half-even would give 0.22)
        ("department", 2, "0.18"),  # 0.35 × 0.5 = 0.175 → 0.18
        ("school", 3, "0.36"),  # 0.45 × 0.8 = 0.36, exact
        ("department", 3, "0.28"),  # 0.35 × 0.8 = 0.28, exact
    ],
)
def test_rounding_to_cents_half_up(v2014, level, rank, credits):
    s = scored(entry("odd", level=level, role="member", rank=rank), _rounding_rules(v2014))
    assert s.credits == D(credits)
    assert s.credits.as_tuple().exponent == -2
    assert s.rule.endswith(f"→ {credits}")


@pytest.mark.parametrize(
    "value, text", [("4", "4.0"), ("2.50", "2.5"), ("0.225", "0.23"), ("0.125", "0.13"), ("1.25", "1.25"), ("0", "0.0")]
)
def test_fmt_rounds_half_up_and_keeps_one_decimal(value, text):
    assert fmt(D(value)) == text


@pytest.mark.parametrize(
    "level, credits, text",
    [("school", "0.5", "素质拓展训练 · 校级 → 0.5"), ("department", "0.3", "素质拓展训练 · 系部级 → 0.3")],
)
def test_category_by_level_only(v2012, level, credits, text):
    # extension_training.table = {school: 0.5, department: 0.3}, no roles
    s = scored(entry("extension_training", level=level), v2012)
    assert (s.credits, s.rule, s.module) == (D(credits), text, "quality")


@pytest.mark.parametrize(
    "category, award, credits, text",
    [
        ("military_training", "excellent", "1.5", "军事训练 · 优秀 → 1.5"),
        ("military_training", "pass", "1.0", "军事训练 · 合格 → 1.0"),
        ("customs_internship", "good", "2", "海关实习 · 良好 → 2.0"),
        ("simulation_training", "pass", "0.5", "仿真实训 · 合格 → 0.5"),
    ],
)
def test_category_by_award_only(v2012, category, award, credits, text):
    s = scored(entry(category, award=award), v2012)
    assert (s.credits, s.rule) == (D(credits), text)


@pytest.mark.parametrize(
    "role, credits, text",
    [
        ("leader", "1.0", "社团兴趣培养 · 负责人 → 1.0"),  # flat table 1.0 × leader 1.0
        ("member", "0.5", "社团兴趣培养 · 成员 1.0×0.5 → 0.5"),  # flat table 1.0 × member 0.5
    ],
)
def test_flat_table_with_role_factors(v2012, role, credits, text):
    s = scored(entry("clubs", role=role), v2012)
    assert (s.credits, s.rule) == (D(credits), text)


def test_level_and_award_ranks_follow_the_rules_order(v2014):
    # levels: national, provincial, school, department; awards: special, first, second, …
    s = scored(entry("subject_competition", level="school", award="second", role="leader"), v2014)
    assert (s.level_rank, s.award_rank) == (2, 2)


# ---------------------------------------------------------------- hours scoring


@pytest.mark.parametrize(
    "hours, old, new",
    [
        ("17", "0.5", "1.0"),  # 2012: ⌊17/10⌋ = 1 → 0.5;  2014: ⌊17/8⌋ = 2 → 1.0
        ("9.5", "0", "0.5"),  # ⌊0.95⌋ = 0 → 0;          ⌊1.1875⌋ = 1 → 0.5
        ("8", "0", "0.5"),  # ⌊0.8⌋ = 0 → 0;            ⌊1⌋ = 1 → 0.5
        ("10", "0.5", "0.5"),  # ⌊1⌋ = 1 → 0.5;            ⌊1.25⌋ = 1 → 0.5
        ("7.9", "0", "0"),  # ⌊0.79⌋ = 0;               ⌊0.9875⌋ = 0
        ("40", "2.0", "2.5"),  # ⌊4⌋ = 4 → 2.0;            ⌊5⌋ = 5 → 2.5
    ],
)
def test_volunteering_hours_per_version(v2012, v2014, hours, old, new):
    e = entry("volunteering", hours=hours)
    assert scored(e, v2012).credits == D(old)
    assert scored(e, v2014).credits == D(new)


def test_hours_rule_text(v2012, v2014):
    e = entry("volunteering", hours="17")
    assert scored(e, v2012).rule == "志愿公益活动 · 17 小时（每满 10 小时 0.5 学分） → 0.5"
    assert scored(e, v2014).rule == "志愿公益活动 · 17 小时（每满 8 小时 0.5 学分） → 1.0"


@pytest.mark.parametrize(
    "day, year, since, credits",
    [
        ("2014-08-31", "2013-2014", "2012-2013", "0.5"),  # last day of 2013-2014: ⌊17/10⌋ × 0.5 = 0.5
        ("2014-09-01", "2014-2015", "2014-2015", "1.0"),  # first day of 2014-2015: ⌊17/8⌋ × 0.5 = 1.0
        ("2013-09-01", "2013-2014", "2012-2013", "0.5"),
        ("2015-08-31", "2014-2015", "2014-2015", "1.0"),
    ],
)
def test_version_follows_the_academic_year_of_the_activity(rules, day, year, since, credits):
    assert rules.academic_year(date.fromisoformat(day)) == year
    version = rules.version_for(year)
    assert version.rules.since == since
    assert scored(entry("volunteering", day, hours="17"), version.rules).credits == D(credits)


def test_version_boundary_in_a_real_repository(repo_factory):
    # 2013 cohort: both days lie in the study period. Same 17 hours, one day apart.
    files = {
        "records/claims/2013-2014/customs/v1.yaml": claim_text(
            "2013010001", activity="暑期支教", category="volunteering", date="2014-08-31", registered="2014-09-05",
            role=None, hours="17", evidence="签到表 A",
        ),
        "records/claims/2014-2015/customs/v2.yaml": claim_text(
            "2013010001", activity="迎新志愿服务", category="volunteering", date="2014-09-01", registered="2014-12-02",
            role=None, hours="17", evidence="签到表 B",
        ),
    }  # fmt: skip
    checked = check_repository(repo_factory(files=files))
    assert checked.diagnostics == []
    got = {it.entry.file.rsplit("/", 1)[1]: it.credits for it in checked.ledgers["2013010001"].items}
    assert got == {"v1.yaml": D("0.5"), "v2.yaml": D("1.0")}  # ⌊17/10⌋×0.5 and ⌊17/8⌋×0.5


# ---------------------------------------------------------------- versions: categories added later


def test_credit_class_exists_only_from_2014_2015(rules):
    e = entry("credit_class", "2014-03-10", award="excellent", credit_class="moot_court_2014")
    old = score(e, rules.version_for(rules.academic_year(e.date)).rules)  # 2013-2014 → the 2012-2013 rules
    assert old == [Problem("category", "DK303", {"category": "credit_class", "year": "2012-2013"})]
    later = e._replace(date=date(2014, 10, 10))
    classes = {k: c for k, c in rules.classes.classes.items() if c.year == "2014-2015"}
    # Before: a free-form table (excellent 2, pass 1) accepted any activity. Now the credits are the approved
    # class's own (rules/classes.yaml: moot_court_2014 credits 2, the demo's) for any passing result.
    assert scored(later, rules.version_for("2014-2015").rules, classes).credits == D("2")


def test_credit_class_in_2013_2014_is_reported(repo_factory):
    rel = "records/claims/2013-2014/customs/class.yaml"
    text = claim_text("2013010001", activity="模拟法庭实训班", category="credit_class", date="2014-03-10",
                      registered="2014-06-05", role=None, award="pass", credit_class="moot_court_2014")  # fmt: skip
    checked = check_repository(repo_factory(files={rel: text}))
    assert [(d.file, d.line, d.code) for d in checked.diagnostics] == [(rel, 2, "DK303")]
    assert "credit_class" in checked.diagnostics[0].message


# ---------------------------------------------------------------- problems


def _problems(result) -> list[tuple]:
    assert isinstance(result, list), result
    return [(p.field, p.code) for p in result]


@pytest.mark.parametrize(
    "category, fields, expected",
    [
        # missing fields the category needs (the missing role has no field to point at)
        ("challenge_cup", {}, [("level", "DK310"), ("award", "DK310"), (None, "DK310")]),
        ("challenge_cup", {"level": "national", "role": "leader"}, [("award", "DK310")]),
        ("volunteering", {}, [("hours", "DK310")]),
        ("youth_league_school", {}, [("course", "DK310")]),
        ("challenge_cup", {"level": "national", "award": "second", "role": "member"}, [(None, "DK310")]),
        # fields the category does not use
        (
            "challenge_cup",
            {"level": "national", "award": "second", "role": "leader", "hours": "3"},
            [("hours", "DK311")],
        ),
        ("clubs", {"role": "leader", "level": "school"}, [("level", "DK311")]),
        ("volunteering", {"hours": "12", "role": "member"}, [("role", "DK311")]),
        ("customs_internship", {"award": "good", "course": "r01"}, [("course", "DK311")]),
        ("challenge_cup", {"level": "national", "award": "second", "role": "leader", "rank": 2}, [("rank", "DK311")]),
        ("clubs", {"role": "member", "rank": 2}, [("rank", "DK311")]),  # the clubs member factor is not by rank
        # values the table does not take
        ("challenge_cup", {"level": "department", "award": "first", "role": "leader"}, [("level", "DK304")]),
        ("challenge_cup", {"level": "city", "award": "first", "role": "leader"}, [("level", "DK304")]),
        ("challenge_cup", {"level": "national", "award": "pass", "role": "leader"}, [("award", "DK305")]),
        ("military_training", {"award": "good"}, [("award", "DK305")]),
        ("research_project", {"level": "national", "award": "approved", "role": "leader"}, [("award", "DK305")]),
        ("challenge_cup", {"level": "national", "award": "first", "role": "first_author"}, [("role", "DK306")]),
        ("paper", {"level": "school", "award": "published", "role": "leader"}, [("role", "DK306")]),
        ("innovation_training", {"level": "national", "award": "third", "role": "leader"}, [("award", "DK305")]),
        ("academic_forum", {"level": "department", "award": "presented"}, [("level", "DK304")]),
        # each value exists in the table, but not together: school has no excellence row
        ("challenge_cup", {"level": "school", "award": "excellence", "role": "leader"}, [("award", "DK314")]),
        ("arts_sports", {"level": "school", "award": "special"}, [("award", "DK305")]),
        # unknown course
        ("youth_league_school", {"course": "r05"}, [("course", "DK312")]),
    ],
)
def test_problems(v2012, category, fields, expected):
    assert _problems(score(entry(category, **fields), v2012)) == expected


def test_problem_arguments_name_what_is_allowed(v2012):
    (p,) = score(entry("challenge_cup", level="department", award="first", role="leader"), v2012)
    assert p.args == {"category": "challenge_cup", "value": "department", "allowed": "national、provincial、school"}
    (p,) = score(entry("challenge_cup", level="national", award="pass", role="leader"), v2012)
    assert p.args["allowed"] == "special、first、second、third、excellence"  # the awards of the national row
    (p,) = score(entry("challenge_cup", level="school", award="excellence", role="leader"), v2012)
    assert p.args == {"combo": "school · excellence", "category": "challenge_cup"}
    (p,) = score(entry("challenge_cup", level="national", award="first", role="first_author"), v2012)
    assert p.args["allowed"] == "leader、member"
    (p,) = score(entry("youth_league_school", course="r05"), v2012)
    assert p.args["allowed"] == "e01、e02、e03、e04、e05、e06、r01、r02、r03、r04"
    (p,) = score(entry("challenge_cup", level="national", award="second", role="member"), v2012)
    assert p.args == {"field": "rank", "category": "challenge_cup"}


@pytest.mark.parametrize(
    "course, text",
    [
        ("r01", "团校 · 团的基本知识（必修，计入团校结业） → 0.0"),
        ("e03", "团校 · 活动策划与组织（选修 2.0 分，计入团校结业） → 0.0"),
    ],
)
def test_youth_league_courses_score_nothing_alone(v2012, course, text):
    # a course earns no credits by itself: the completion rule grants 2.0 once complete (see test_ledger)
    s = scored(entry("youth_league_school", course=course), v2012)
    assert (s.credits, s.rule, s.module) == (D(0), text, "quality")


# ---------------------------------------------------------------- per-claim checks in a real repository

# A research claim names its advisor (指导教师), one listed for the customs department in rules/school.yaml.
CUP = dict(
    activity="“挑战杯”大学生课外学术科技作品竞赛", category="challenge_cup", date="2015-04-10",
    registered="2015-05-04", level="national", award="second", role="member", rank="2", advisor="hg-li",
)  # fmt: skip


def _line(text: str, key: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(f"{key}:"))


def _found(checked) -> list[tuple]:
    return [(d.file, d.line, d.code) for d in checked.diagnostics]


def test_credits_asked_differ_from_computed(repo_factory):
    wrong = claim_text(**CUP, credits="4.0", evidence="证书 1")
    right = claim_text(**{**CUP, "activity": "另一项竞赛"}, credits="3.20", evidence="证书 2")
    folder = FOLDER.format(year="2014-2015")
    checked = check_repository(repo_factory(files={f"{folder}/wrong.yaml": wrong, f"{folder}/right.yaml": right}))
    assert _found(checked) == [(f"{folder}/wrong.yaml", _line(wrong, "credits"), "DK403")]
    # asked 4.0; the rules give national second 4 × 0.8 (rank 2) = 3.2
    msg = checked.diagnostics[0].message
    assert "4.0" in msg and "3.2" in msg and "“挑战杯”竞赛 · 国家级 · 二等奖 · 成员（第 2 名） 4.0×0.8 → 3.2" in msg
    assert checked.ledgers["2014010001"].total == D("3.2")  # only right.yaml: a claim with an error does not count


@pytest.mark.parametrize(
    "fields, code, key",
    [
        # quality, 2014-10-10 → semester 2014-2015-1, window 2014-12-01 … 2015-03-15
        ({"date": "2014-10-10", "registered": "2014-11-30"}, "DK404", "registered"),
        ({"date": "2014-10-10", "registered": "2014-12-01"}, None, None),
        ({"date": "2014-10-10", "registered": "2015-03-15"}, None, None),
        ({"date": "2014-10-10", "registered": "2015-03-16"}, "DK404", "registered"),
        # registered before the activity took place
        ({"date": "2014-10-10", "registered": "2014-10-01"}, "DK407", "registered"),
        # spring semester 2014-2015-2 (from 02-10): window 2015-06-01 … 2015-09-30
        ({"date": "2015-03-01", "registered": "2015-03-10"}, "DK404", "registered"),
        ({"date": "2015-03-01", "registered": "2015-06-01"}, None, None),
        # 2016-2017 has no registration window at all
        ({"date": "2016-10-10", "registered": "2016-12-01"}, "DK406", "date"),
    ],
)
def test_registration_windows_quality(repo_factory, fields, code, key):
    day = date.fromisoformat(fields["date"])
    year = f"{day.year}-{day.year + 1}" if day.month >= 9 else f"{day.year - 1}-{day.year}"
    rel = f"{FOLDER.format(year=year)}/club.yaml"
    text = claim_text(**fields)
    checked = check_repository(repo_factory(files={rel: text}))
    assert _found(checked) == ([] if code is None else [(rel, _line(text, key), code)])


@pytest.mark.parametrize(
    "registered, code",
    [
        # research is registered once a year: 2014-2015 research window 2015-05-01 … 2015-10-31,
        # even though the semester window 2014-2015-2 would open on 2015-06-01
        ("2015-04-20", "DK404"),
        ("2015-05-01", None),
        ("2015-10-31", None),
        ("2015-11-01", "DK404"),
    ],
)
def test_registration_window_research_is_yearly(repo_factory, registered, code):
    rel = f"{FOLDER.format(year='2014-2015')}/cup.yaml"
    text = claim_text(**{**CUP, "registered": registered}, evidence="证书 1")
    checked = check_repository(repo_factory(files={rel: text}))
    assert _found(checked) == ([] if code is None else [(rel, _line(text, "registered"), "DK404")])


def test_department_and_year_folders(repo_factory):
    folder = FOLDER.format(year="2014-2015")
    law = claim_text("2014020001")  # a law student in the customs folder
    early = claim_text("2013010001", date="2014-08-31", registered="2014-09-05")  # 2013-2014, in the 2014-2015 folder
    checked = check_repository(repo_factory(files={f"{folder}/law.yaml": law, f"{folder}/early.yaml": early}))
    assert sorted(_found(checked)) == [
        (f"{folder}/early.yaml", _line(early, "date"), "DK308"),
        (f"{folder}/law.yaml", _line(law, "student"), "DK302"),
    ]
    msgs = {d.code: d.message for d in checked.diagnostics}
    assert "2013-2014" in msgs["DK308"] and "law" in msgs["DK302"] and "customs" in msgs["DK302"]


def test_outside_the_study_period(repo_factory):
    # cohort 2012, four years: 2012-2013 … 2015-2016; an activity in 2016-2017 is outside it
    rel = f"{FOLDER.format(year='2016-2017')}/late.yaml"
    text = claim_text("2012010001", date="2016-10-10", registered="2016-12-01")
    checked = check_repository(repo_factory(files={rel: text}))
    # the window problem (DK406, no window in 2016-2017) comes too; DK309 is the one under test
    assert (rel, _line(text, "date"), "DK309") in _found(checked)
    msg = next(d.message for d in checked.diagnostics if d.code == "DK309")
    # the message says why: the student's study period
    assert "2012-2013" in msg and "2015-2016" in msg, msg
