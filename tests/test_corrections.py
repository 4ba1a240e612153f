"""Corrections keep to the rules (dekt.corrections): same student, same academic year, inside the correction window,
a reason the transcript font can print; a legitimate correction changes the credits exactly as the rules say.

The archived original (as in test_amend.py): student 2014010001's school-level Challenge Cup second prize as leader,
dated 2015-04-10, registered 2015-05-04, committed to ``main``. The correction window (rules/calendar.yaml,
``corrections: {windows: 1}``) runs from the day the original reached the archive — the commit is dated 2015-01-05
(tests/helpers.GIT_ENV), before its registration, so its registration day 2015-05-04 counts — to the end of the first
registration window of its module (challenge_cup is in ``research``) that opens after that day: 2014-2015's research
window opened 2015-05-01, before it, so the window is 2015-2016's, closing 2016-10-31.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

from helpers import GIT_ENV, claim_text

FOLDER = "records/claims/2014-2015/customs"
ORIGINAL = f"{FOLDER}/2014010001-challenge-cup.yaml"
RECORD = f"{FOLDER}/2014010001-challenge-cup-corrected.yaml"
STUDENT = "2014010001"
CUP = dict(
    activity="2014年“挑战杯”大学生课外学术科技作品竞赛", category="challenge_cup", date="2015-04-10",
    registered="2015-05-04", level="school", award="second", role="leader", evidence="获奖证书 CC-1", advisor="hg-li",
)  # fmt: skip


def dekt(root, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    cmd = [sys.executable, "-m", "dekt.cli", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, check=False)


def correction(reason: str = "奖项登记错误，应为一等奖。", **fields: str) -> str:
    """A correction record of the original: the original's fields with ``fields`` changed."""
    return f"corrects: {ORIGINAL}\nreason: {reason}\n" + claim_text(**{**CUP, "registered": "2016-06-01", **fields})


def line_of(text: str, key: str) -> int:
    """The line (from 1) where ``key:`` is written in ``text``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key}:"))


def validate(root, text: str) -> tuple[int, list[dict]]:
    """Write the correction record, run ``dekt validate --format json``: the exit code, the record's diagnostics."""
    (root / RECORD).write_text(text, encoding="utf-8")
    r = dekt(root, "validate", "--format", "json")
    return r.returncode, [d for d in json.loads(r.stdout) if d["file"] == RECORD]


def found(diagnostics: list[dict]) -> set[tuple[str, int]]:
    return {(d["code"], d["line"]) for d in diagnostics}


def test_a_correction_that_changes_the_student_fails_at_the_student(repo_factory):
    root = repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)
    text = correction(student="2014010002")  # a classmate: a change of student is a revocation plus a new claim
    code, diags = validate(root, text)
    assert code == 1 and ("DK420", line_of(text, "student")) in found(diags)
    [d] = [d for d in diags if d["code"] == "DK420"]
    assert "2014010001" in d["message"] and "2014010002" in d["message"]


def test_a_correction_that_changes_the_academic_year_fails_at_the_date(repo_factory):
    root = repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)
    text = correction(date="2015-10-10")  # academic years start on 09-01: 2015-10-10 is in 2015-2016, not 2014-2015
    code, diags = validate(root, text)
    assert code == 1 and ("DK421", line_of(text, "date")) in found(diags)
    [d] = [d for d in diags if d["code"] == "DK421"]
    assert "2014-2015" in d["message"] and "2015-2016" in d["message"]


def test_a_correction_registered_after_its_window_fails_at_the_registration_date(repo_factory):
    root = repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)
    text = correction(registered="2016-11-01")  # the day after the window closes (2016-10-31, see the docstring)
    code, diags = validate(root, text)
    assert code == 1 and found(diags) == {("DK422", line_of(text, "registered"))}
    assert "2015-05-04" in diags[0]["message"] and "2016-10-31" in diags[0]["message"]
    # On the last day of the window the same correction is accepted.
    assert validate(root, correction(registered="2016-10-31")) == (0, [])


def test_a_correction_whose_reason_the_font_cannot_print_fails_at_the_reason(repo_factory):
    root = repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)
    text = correction(reason="奖项登记错误😀")  # the transcript fonts (Noto CJK) have no emoji
    code, diags = validate(root, text)
    assert code == 1 and found(diags) == {("DK701", line_of(text, "reason"))}
    assert "U+1F600" in diags[0]["message"]


def test_a_legitimate_correction_inside_the_window_changes_the_credits_as_the_rules_say(repo_factory):
    root = repo_factory(files={ORIGINAL: claim_text(**CUP)}, init_git=True)
    # rules/credits/2014-2015.yaml, challenge_cup: table by level and award, role factor leader 1.0.
    # The original, school second prize as leader: 1 × 1.0 = 1.0 credits.
    before = json.loads(dekt(root, "ledger", STUDENT, "--format", "json").stdout)
    assert Decimal(before["total"]) == Decimal("1.0")
    # Corrected to the provincial level (the prize was the provincial round's): provincial second 2.5 × 1.0 = 2.5,
    # registered 2016-06-01, inside the window 2015-05-04…2016-10-31.
    code, diags = validate(root, correction(level="provincial", reason="级别登记错误，应为省部级二等奖。"))
    assert (code, diags) == (0, [])
    after = json.loads(dekt(root, "ledger", STUDENT, "--format", "json").stdout)
    items = {it["file"]: it for it in after["items"]}
    assert not items[ORIGINAL]["counted"] and items[RECORD]["counted"]
    assert Decimal(items[RECORD]["credits"]) == Decimal("2.5") and Decimal(after["total"]) == Decimal("2.5")


def test_revoking_a_claim_of_a_year_without_rules_is_an_error_at_the_revocation(repo_factory):
    # The first rules version is 2012-2013 (rules/school.yaml): a 2011-2012 claim has no rules in force (DK313 in its
    # own file), and revoking it is DK423 at the revocation's `revokes`, never a crash.
    original = "records/claims/2011-2012/customs/2011010001-choir.yaml"
    claim = claim_text(
        "2011010001", activity="合唱团（2011-2012 学年）", date="2011-10-29", registered="2011-12-01", role="member"
    )
    root = repo_factory(files={original: claim}, init_git=True)
    record = "records/claims/2011-2012/customs/2011010001-choir-revoked.yaml"
    (root / record).write_text(f"revokes: {original}\nreason: 证明有误。\nregistered: 2012-12-03\n", encoding="utf-8")
    r = dekt(root, "validate", "--format", "json")
    assert r.returncode == 1, r.stderr
    assert {(d["code"], d["line"], d["col"]) for d in json.loads(r.stdout) if d["file"] == record} == {("DK423", 1, 10)}
