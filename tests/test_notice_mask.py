"""The notice list's masked ids cannot be reversed: each fits at least k students of the class it is shown with.

The notice shows a student's department, class, name and masked id. Demo ids are ``{year}{department:02}{seq:04}``
and classes hold 30 consecutive numbers, so the old mask (year and last two digits) plus the class gave the full
id back. The property checked here, on the demo school and on a 5,000-student school: every masked id shown fits
(same length, same characters where not masked) at least ``NOTICE_K`` roster students of the same department and
class — and so at least as many of the same department and cohort.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from dekt import demo
from dekt.roster import NOTICE_K, notice_mask
from dekt.rules import load_rules

MAIN = Path(__file__).resolve().parents[1]


def fits(masked: str, sid: str) -> bool:
    return len(masked) == len(sid) and all(m in ("*", c) for m, c in zip(masked, sid))


def test_the_mask_keeps_only_what_k_classmates_share():
    # A class of 30 numbered 2014010001…2014010030: "2014******07" fits one id, "2014*******7" fits three
    # (…07, …17, …27): both fewer than 5, so only the year is shown, which fits all 30.
    thirty = [f"20140100{n:02d}" for n in range(1, 31)]
    assert notice_mask("2014010007", thirty) == "2014******"
    # A class of 100 (…0001–…0100): the last digit 7 is shared by …07, …17, …, …97 (ten ids) but the last two
    # digits only by …07, so the year and the last digit are shown.
    hundred = [f"2014{n:06d}" for n in range(1, 101)]
    assert notice_mask("2014000007", hundred) == "2014*****7"
    # Five classmates whose ids end alike: the year and two last digits fit all five.
    alike = [f"2014{n}00007" for n in range(1, 6)]
    assert notice_mask("2014100007", alike) == "2014****07"
    # A class smaller than k (or a student the roster does not know): nothing of the id is shown.
    assert notice_mask("2014010001", ["2014010001", "2014010002"]) == "**********"
    assert notice_mask("2014010001", []) == "**********"


def check_shown(shown: list[tuple[str, str, str]], roster: dict[str, dict]) -> int:
    """Assert the property for (masked id, department, class) as shown; return how many were checked."""
    by_class, by_cohort = defaultdict(list), defaultdict(list)
    for sid, r in roster.items():
        by_class[(r["department"], r["class"])].append(sid)
        by_cohort[(r["department"], r["enrollment_year"])].append(sid)
    for masked, dept, klass in shown:
        peers = by_class[(dept, klass)]
        fitting = [sid for sid in peers if fits(masked, sid)]
        if len(peers) >= NOTICE_K:
            assert len(fitting) >= NOTICE_K, (masked, dept, klass, fitting)
            cohort = roster[fitting[0]]["enrollment_year"]
            assert sum(fits(masked, sid) for sid in by_cohort[(dept, cohort)]) >= NOTICE_K
        else:
            assert set(masked) == {"*"}, (masked, dept, klass)
    return len(shown)


@pytest.mark.parametrize("students,seed", [(360, 2014), (5000, 7)])
def test_every_masked_id_of_a_generated_school_fits_at_least_k_classmates(students, seed):
    # The roster `dekt demo-data --students N --seed S` writes (360 and seed 2014 are its defaults): the same
    # generator, without the claim files it also writes (31,000 for 5,000 students), which this does not need.
    rules, _ = load_rules(MAIN)
    school = demo._School(rules, random.Random(seed), students)
    roster = {s.id: {"department": s.department, "class": s.class_name, "enrollment_year": str(s.enrollment_year)}
              for s in school.students}  # fmt: skip
    assert len(roster) == students
    classes = defaultdict(list)
    for sid, r in roster.items():
        classes[(r["department"], r["class"])].append(sid)
    # Every student as the notice would list them: the check covers every id the notice can show.
    shown = [
        (notice_mask(sid, classes[(r["department"], r["class"])]), r["department"], r["class"])
        for sid, r in roster.items()
    ]
    assert check_shown(shown, roster) == students
