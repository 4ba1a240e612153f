"""The pilot report's rules, one test per rule, each citing where the report decides it (in our own words).

The report (/work/shared/seed/, Chinese) gives the structure of the second transcript but no numbers: every
number below (credits, hours, caps, minimums) is the demo school's, from rules/credits/*.yaml, and the
arithmetic beside each expectation is worked out by hand from those files.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from dekt.check import check_repository
from dekt.ledger import compute_ledger
from dekt.records import Entry
from dekt.roster import Student
from dekt.rules import load_rules
from dekt.scoring import Score, score
from dekt.site.catalogue import catalogue
from dekt.site.private import ranking_rows
from helpers import ROOT, ROSTER, claim_text, make_repo

D = Decimal
Y1415 = "records/claims/2014-2015/customs"


@pytest.fixture(scope="module")
def rules():
    loaded, problems = load_rules(ROOT)
    assert loaded is not None and problems == [], problems
    return loaded


def student(cohort: int, sid: str | None = None) -> Student:
    return Student(sid or f"{cohort}010001", "测试", "customs", f"{cohort}级1班", cohort, "enrolled", 2)


def claim(rules, name: str, category: str, day: str, **fields) -> tuple[Entry, Score]:
    """An entry scored by its own academic year's version."""
    d = date.fromisoformat(day)
    values = {
        "level": None,
        "award": None,
        "role": None,
        "rank": None,
        "hours": None,
        "course": None,
        "credits": None,
        "evidence": None,
    }
    values.update(fields)
    if values["hours"] is not None:
        values["hours"] = D(values["hours"])
    e = Entry(file=f"records/claims/{rules.academic_year(d)}/customs/{name}.yaml", index=None, line=1, col=1,
              student="x", category=category, activity=name, date=d, registered=d, shared_evidence=False,
              **values)  # fmt: skip
    s = score(e, rules.version_for(rules.academic_year(d)).rules)
    assert isinstance(s, Score), s
    return e, s


def module(ledger, mid: str) -> Decimal:
    return next(m.credits for m in ledger.modules if m.id == mid)


def _line(text: str, key: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(f"{key}:"))


# -- 工作简述 (the work summary): extension credits have no upper limit; only research is capped ------------------


def test_200_volunteering_hours_in_one_year_all_count(rules):
    # The summary says students may earn as many extension credits as they can: no cap on volunteering.
    # 2014-2015.yaml (the demo's numbers): 0.5 credits per full 8 hours → ⌊200/8⌋ = 25 units × 0.5 = 12.5.
    items = [claim(rules, "进博会志愿服务", "volunteering", "2014-11-10", hours="200")]
    ledger = compute_ledger(student(2014), items, rules)
    assert ledger.items[0].counted and ledger.excluded == ()
    assert module(ledger, "quality") == D("12.5")
    # And the rules themselves: the only cap, in every version, is the research cap over the study period.
    for v in rules.versions:
        assert [(c.scope, c.module, c.category) for c in v.rules.caps.values()] == [("study_period", "research", None)]


def test_the_catalogue_works_the_research_cap_through(rules):
    # 配套认证制度 (certification rules): research credits are limited over the study period, and a student over
    # the limit has the important results registered. The catalogue shows it with the current cap (10, the demo's):
    # 9 fits (9 ≤ 10); 1.5 would make 10.5 > 10, skipped whole; the later, smaller 1.0 still fits (9 + 1 = 10).
    current = catalogue(rules)[-1]
    (cap,) = current["caps"]
    assert cap["max"] == "10.0" and cap["source"].startswith("报告“配套认证制度”")
    assert [(r["credits"], r["fits"], r["running"]) for r in cap["example"]] == [
        ("9.0", True, "9.0"), ("1.5", False, "9.0"), ("1.0", True, "10.0"),
    ]  # fmt: skip


# -- 课程资源库 / 配套认证制度: students choose modules; innovation credits are required to graduate ----------------


def test_only_research_credits_at_the_minimum_meet_graduation(rules):
    # The report lets students pick one or several kinds of course, but requires innovation credits to graduate.
    # A provincial paper as first author: 2 × 1.0 = 2.0, exactly the research minimum of 2 (the demo's); nothing else.
    items = [claim(rules, "论文", "paper", "2015-04-10", level="provincial", award="published", role="first_author")]
    ledger = compute_ledger(student(2014), items, rules)
    assert {m.id: (m.credits, m.required) for m in ledger.modules} == {
        "quality": (D(0), D(0)), "research": (D("2.0"), D(2)), "professional": (D(0), D(0)),
    }  # fmt: skip
    assert ledger.graduation_met
    # 1.0 short of it (a school paper: 1 × 1.0) is not enough, however much else there is (40 h: ⌊40/8⌋ × 0.5 = 2.5).
    items = [claim(rules, "校刊论文", "paper", "2015-04-10", level="school", award="published", role="first_author"),
             claim(rules, "志愿", "volunteering", "2014-11-10", hours="40")]  # fmt: skip
    ledger = compute_ledger(student(2014), items, rules)
    assert (module(ledger, "research"), module(ledger, "quality"), ledger.graduation_met) == (D("1.0"), D("2.5"), False)


# -- 科研创新类课程: results are registered at three tiers; department-level results are not research credits -----


def test_a_department_level_research_result_earns_no_research_credit(repo_factory):
    # Competitions run at four levels (national, city, college, department) but research credits are registered at
    # three tiers only. A department-level subject competition is refused as research (DK304 at its level line);
    # the same result entered as 系部级科研创新活动 counts in the quality module: first prize 0.5 (the demo's).
    research = claim_text("2014010001", activity="系部专业知识竞赛", category="subject_competition", date="2015-04-10",
                          registered="2015-05-04", level="department", award="first", role="leader", advisor="hg-li",
                          evidence="证书 D-1")  # fmt: skip
    quality = claim_text("2014010002", activity="系部专业知识竞赛", category="department_research", date="2015-04-10",
                         registered="2015-06-02", award="first", role=None, evidence="证书 D-2")  # fmt: skip
    checked = check_repository(repo_factory(files={f"{Y1415}/r.yaml": research, f"{Y1415}/q.yaml": quality}))
    assert [(d.file, d.line, d.code) for d in checked.diagnostics] == [
        (f"{Y1415}/r.yaml", _line(research, "level"), "DK304")
    ]
    assert "national、provincial、school" in checked.diagnostics[0].message
    assert module(checked.ledgers["2014010001"], "research") == D(0)
    assert (module(checked.ledgers["2014010002"], "research"), module(checked.ledgers["2014010002"], "quality")) == (
        D(0),
        D("0.5"),
    )


# -- 专业体验课程 and 科研: registered or assessed once a year ----------------------------------------------------


@pytest.mark.parametrize(
    "registered, code",
    [
        # a customs internship on 2014-10-10: the yearly window 2014-2015 opens 2015-05-01 and closes 2015-10-31
        ("2014-12-05", "DK404"),  # inside the old semester window (2014-12-01…2015-03-15), not a yearly one
        ("2015-05-01", None),
        ("2015-10-31", None),
        ("2015-11-01", "DK404"),
    ],
)
def test_professional_experience_is_registered_once_a_year(repo_factory, registered, code):
    text = claim_text("2014010001", activity="海关暑期实习", category="customs_internship", date="2014-10-10",
                      registered=registered, role=None, award="good", evidence="考核表 P-1")  # fmt: skip
    checked = check_repository(repo_factory(files={f"{Y1415}/p.yaml": text}))
    expected = [] if code is None else [(f"{Y1415}/p.yaml", _line(text, "registered"), code)]
    assert [(d.file, d.line, d.code) for d in checked.diagnostics] == expected


# -- 配套认证制度: the advisor assesses a research result first ---------------------------------------------------


def test_a_research_claim_names_a_listed_advisor(repo_factory):
    base = {
        "activity": "大学生创新创业训练计划",
        "category": "innovation_training",
        "date": "2015-03-10",
        "registered": "2015-05-04",
        "level": "school",
        "award": "approved",
        "role": "leader",
    }
    none = claim_text("2014010001", evidence="立项书 A-1", **base)
    other = claim_text("2014010002", evidence="立项书 A-2", advisor="fl-zheng", **base)  # the law department's advisor
    good = claim_text("2014010003", evidence="立项书 A-3", advisor="hg-gu", **base)
    files = {f"{Y1415}/none.yaml": none, f"{Y1415}/other.yaml": other, f"{Y1415}/good.yaml": good}
    checked = check_repository(repo_factory(files=files))
    assert sorted((d.file, d.line, d.code) for d in checked.diagnostics) == [
        (f"{Y1415}/none.yaml", _line(none, "student"), "DK315"),
        (f"{Y1415}/other.yaml", _line(other, "advisor"), "DK316"),
    ]
    assert module(checked.ledgers["2014010003"], "research") == D("1.0")  # school approved 1 × leader 1.0


# -- 课程资源库: credit-bearing classes are opened by approval; passing students earn the credits ------------------


def test_a_class_not_in_the_catalogue_is_refused_with_its_line(repo_factory):
    def klass(sid: str, which: str, award: str) -> str:
        return claim_text(sid, activity="实训班", category="credit_class", date="2015-04-10", registered="2015-05-04",
                          role=None, credit_class=which, award=award, evidence=f"成绩单 {sid}")  # fmt: skip

    files = {
        f"{Y1415}/unknown.yaml": klass("2014010001", "customs_declaration_2014", "pass"),  # never approved
        f"{Y1415}/later.yaml": klass("2014010002", "moot_court_2015", "pass"),  # approved, but for 2015-2016
        f"{Y1415}/passed.yaml": klass("2014010003", "anti_smuggling_2014", "good"),
        "records/claims/2014-2015/law/failed.yaml": klass("2014020001", "moot_court_2014", "fail"),  # a law student
    }
    checked = check_repository(repo_factory(files=files))
    line = _line(files[f"{Y1415}/unknown.yaml"], "credit_class")
    assert sorted((d.file, d.line, d.code) for d in checked.diagnostics) == [
        (f"{Y1415}/later.yaml", line, "DK317"),
        (f"{Y1415}/unknown.yaml", line, "DK317"),
    ]
    assert "anti_smuggling_2014、moot_court_2014" in checked.diagnostics[0].message  # the classes of 2014-2015
    # rules/classes.yaml (the demo's): anti_smuggling_2014 earns 1.5 for a passing result (良好 is passing);
    # a failing result in moot_court_2014 earns nothing, and is shown with its rule.
    assert module(checked.ledgers["2014010003"], "professional") == D("1.5")
    (failed,) = checked.ledgers["2014020001"].items
    assert failed.credits == D(0) and "不合格" in failed.rule and "模拟法庭实训班" in failed.rule


# -- 专业体验课程: internships at enterprises and courts ----------------------------------------------------------


@pytest.mark.parametrize("category", ["enterprise_internship", "court_internship"])
def test_internships_at_enterprises_and_courts_are_professional_experience(rules, category):
    # The report names internship-base agreements with large trading enterprises and local courts.
    # good → 2 (the demo's table, like a customs internship)
    _, s = claim(rules, "实习", category, "2015-07-10", award="good")
    assert (s.module, s.credits) == ("professional", D("2"))


# -- 配套认证制度: innovation credits weigh in awards when all else is equal ----------------------------------------


def test_two_students_with_the_same_total_rank_by_innovation_credits(rules):
    # A: school paper 1.0 (research) + 16 h volunteering ⌊16/8⌋ × 0.5 = 1.0 (quality) → total 2.0, innovation 1.0
    # B: 32 h volunteering ⌊32/8⌋ × 0.5 = 2.0 (quality) → total 2.0, innovation 0
    # C: like A → equal on both: shares A's rank. B's id sorts first, so only the innovation credits put it last.
    def paper_and_volunteering():
        return [claim(rules, "论文", "paper", "2015-04-10", level="school", award="published", role="first_author"),
                claim(rules, "志愿", "volunteering", "2014-11-10", hours="16")]  # fmt: skip

    a = compute_ledger(student(2014, "2014010009"), paper_and_volunteering(), rules)
    b = compute_ledger(
        student(2014, "2014010001"), [claim(rules, "志愿", "volunteering", "2014-11-10", hours="32")], rules
    )
    c = compute_ledger(student(2014, "2014010005"), paper_and_volunteering(), rules)
    rows = ranking_rows(rules, [b, a, c], date(2015, 7, 1))
    head = rows[0]
    got = [dict(zip(head, r)) for r in rows[1:]]
    assert [(r["名次"], r["学号"], r["总学分"], r["创新学分（同分时比较）"]) for r in got] == [
        ("1", "2014010005", "2.0", "1.0"), ("1", "2014010009", "2.0", "1.0"), ("3", "2014010001", "2.0", "0.0"),
    ]  # fmt: skip


# -- 附表1 (the work-flow table): which version governs a cohort; both readings --------------------------------


def _reading(tmp_path, reading: str):
    root = make_repo(tmp_path, name=reading)
    path = root / "rules/school.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  study_period: final_year\n", f"  study_period: {reading}\n"), encoding="utf-8")
    return root


def test_the_version_rule_is_stated_and_both_readings_hold(rules, tmp_path):
    # The second certification (December 2014) assessed the 2012, 2013 and 2014 cohorts by the adjusted system:
    # the repository reads it as "the version of the final year of study governs" and says so on the catalogue.
    assert rules.school.versions.study_period == "final_year" and "2014年12月" in rules.school.versions.source
    index = catalogue(rules)[-1]["governing"]
    assert "最后一学年" in index["study_period"] and "DK605" in index["none"]
    # final_year: study years 2012-2013…2015-2016 → 2015-2016 is under 2014-2015.yaml; likewise 2013 and 2014.
    assert {c: rules.governing(c).rules.since for c in (2011, 2012, 2013, 2014)} == dict.fromkeys(
        (2011, 2012, 2013, 2014), "2014-2015"
    )
    # entry_year: the first year's version: 2012 and 2013 → 2012-2013.yaml, 2014 → 2014-2015.yaml, 2011 → none.
    other, problems = load_rules(_reading(tmp_path, "entry_year"))
    assert problems == []
    assert {c: (v.rules.since if (v := other.governing(c)) else None) for c in (2011, 2012, 2013, 2014)} == {
        2011: None,
        2012: "2012-2013",
        2013: "2012-2013",
        2014: "2014-2015",
    }
    assert "入学第一学年" in catalogue(other)[-1]["governing"]["study_period"]


def test_a_cohort_no_version_governs_is_an_error_not_a_fallback(tmp_path):
    # Under entry_year the 2011 cohort (tests/helpers.py ROSTER, the 6th student: CSV line 7) starts in 2011-2012,
    # before the first version: DK605 on its roster row, and no ledger, rather than the 2012-2013 rules in silence.
    checked = check_repository(_reading(tmp_path, "entry_year"))
    row = 1 + next(i for i, r in enumerate(ROSTER, 1) if r[0] == "2011010001")
    assert [(d.file, d.line, d.code) for d in checked.diagnostics] == [("records/students.csv", row, "DK605")]
    assert not checked.ok and "2011010001" not in checked.ledgers
    # Under final_year it ends in 2014-2015, which has a version: no diagnostic, a ledger by 2014-2015.yaml.
    checked = check_repository(_reading(tmp_path, "final_year"))
    assert checked.diagnostics == [] and checked.ledgers["2011010001"].rules_since == "2014-2015"


def test_youth_league_courses_are_checked_by_the_version_that_counts_them(tmp_path):
    # 团校 (课程资源库): required courses plus enough elective points complete it. The version that counts the
    # completion (the governing one) is the one that says which courses exist. Here 2014-2015.yaml adds a required
    # course r05; a 2013 student (governed by 2014-2015 under final_year) takes it in 2013-2014, when the activity's
    # own version (2012-2013) has no r05: accepted, and counted (r01–r05 + e03 2 + e04 2 = 4 points → +2.0).
    root = make_repo(tmp_path)
    path = root / "rules/credits/2014-2015.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "      r04: {name: 社会主义核心价值观专题}\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, anchor + "      r05: {name: 青年志愿服务专题}\n"), encoding="utf-8")
    files = {}
    for n, course in enumerate(("r01", "r02", "r03", "r04", "r05", "e03", "e04")):
        files[f"records/claims/2013-2014/customs/t{n}.yaml"] = claim_text(
            "2013010001", activity=f"团校 {course}", category="youth_league_school", date=f"2013-11-{10 + n}",
            registered="2013-12-05", role=None, course=course, evidence=f"考勤 {course}")  # fmt: skip
    (root / "records/claims/2013-2014/customs").mkdir(parents=True)
    for rel, body in files.items():
        (root / rel).write_text(body, encoding="utf-8")
    checked = check_repository(root)
    assert checked.diagnostics == []
    (c,) = checked.ledgers["2013010001"].completions
    assert c.complete and c.required_missing == () and c.elective_points == D(4)
    assert module(checked.ledgers["2013010001"], "quality") == D("2")


def test_every_rule_and_every_number_says_where_it_comes_from(rules):
    # Each category, cap, module, completion and graduation rule cites the report; each version says its numbers
    # are the demo's (the report gives none).
    for v in rules.versions:
        r = v.rules
        assert r.numbers and "演示" in r.numbers
        parts = [*r.modules.values(), *r.categories.values(), *r.caps.values(), *r.completions.values(), r.graduation]
        assert all(p.source and p.source.startswith("报告") for p in parts), [p.name for p in parts if not p.source]
    text = (ROOT / "rules/classes.yaml").read_text(encoding="utf-8")
    assert "演示" in text and "课程资源库" in text
    # and the ranking file's header: both columns, for the reader of the CSV
    buf = io.StringIO()
    csv.writer(buf).writerow(ranking_rows(rules, [], date(2015, 7, 1))[0])
    assert "总学分" in buf.getvalue() and "创新学分（同分时比较）" in buf.getvalue()


def test_the_adapter_reads_each_research_claims_advisor_from_the_head(tmp_path):
    # The gate needs the advisor of each research claim; the forge lists only paths, so the adapter reads the files
    # at the pull request's head in a real clone. The volunteering claim names no advisor and is not research.
    from dekt.review.advisors import research_advisors
    from helpers import git

    root = make_repo(tmp_path, init_git=True)
    cup = claim_text("2014010001", activity="校“挑战杯”", category="challenge_cup", date="2015-04-10",
                     registered="2015-05-04", level="school", award="first", role="leader",
                     advisor="hg-gu")  # fmt: skip
    vol = claim_text("2014010002", activity="志愿服务", category="volunteering", date="2014-10-12",
                     registered="2014-12-02", role=None, hours="8")  # fmt: skip
    (root / Y1415).mkdir(parents=True)
    (root / Y1415 / "cup.yaml").write_text(cup, encoding="utf-8")
    (root / Y1415 / "vol.yaml").write_text(vol, encoding="utf-8")
    git(root, "checkout", "-q", "-b", "batch")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "batch")
    head = git(root, "rev-parse", "HEAD").strip()
    (root / Y1415 / "cup.yaml").write_text(
        cup.replace("hg-gu", "hg-li"), encoding="utf-8"
    )  # the work tree is not the head
    pr = {
        "headRefOid": head,
        "files": [{"path": f"{Y1415}/cup.yaml"}, {"path": f"{Y1415}/vol.yaml"}, {"path": "README.md"}],
    }
    loaded, _ = load_rules(root)
    assert research_advisors(root, pr, loaded) == {f"{Y1415}/cup.yaml": "hg-gu"}
