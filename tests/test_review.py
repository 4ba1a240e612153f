"""The review state of a pull request, decided on recorded pull requests (``tests/review/scenarios/<name>/``).

Each scenario folder holds ``pr.json`` (as ``gh pr view --json`` prints it), ``meta.json`` (the moment) and
``expected.json`` (checked by a person when recorded with ``tests/review/record.py``). Adding a folder adds a
test. The scenarios use this repository's ``rules/`` (the demo school's reviewers and 2026 calendar).
"""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dekt.review import BadPullRequest, Stage, review_state
from dekt.review import decide as decide_module
from dekt.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "review" / "scenarios"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if p.is_dir())
DEKT = [sys.executable, "-m", "dekt.cli"]

sys.path.insert(0, str(ROOT / "tests" / "review"))
from record import expected_of  # noqa: E402


@pytest.fixture(scope="module")
def rules():
    loaded, problems = load_rules(ROOT)
    assert loaded is not None, problems
    return loaded


def scenario(name: str) -> tuple[dict, datetime, dict]:
    folder = SCENARIOS / name
    pr, meta, expected = (
        json.loads((folder / f).read_text(encoding="utf-8")) for f in ("pr.json", "meta.json", "expected.json")
    )
    return pr, datetime.fromisoformat(meta["now"]), expected


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name, rules):
    pr, now, expected = scenario(name)
    assert expected_of(review_state(pr, rules, now)) == expected


def test_every_scenario_folder_is_complete_both_ways():
    for folder in SCENARIOS.iterdir():
        assert folder.is_dir(), f"stray file {folder}"
        assert sorted(p.name for p in folder.iterdir()) == ["expected.json", "meta.json", "pr.json"], folder
    expectations = {p.parent.name for p in SCENARIOS.glob("*/expected.json")}
    records = {p.parent.name for p in SCENARIOS.glob("*/pr.json")}
    assert expectations == records == set(NAMES)


def test_scenarios_cover_every_stage_and_every_reason():
    stages = {scenario(n)[2]["stage"] for n in NAMES}
    assert stages == {s.value for s in Stage}
    source = Path(decide_module.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:say|Reason)\(\s*"([a-z-]+)"', source))
    assert len(codes) > 20  # the pattern still finds the codes
    seen = {c for n in NAMES for c in scenario(n)[2]["reasons"]}
    assert codes - seen == set(), "reason codes with no scenario"
    assert seen - codes == set(), "scenarios expecting codes the code no longer has"


def test_scenarios_look_like_the_forge_record(rules):
    """Real-looking fixtures: gh's field set, 40-hex commit ids, ISO times, logins the rules know."""
    known = set(rules.school.academic_affairs.reviewers) | {
        login for d in rules.school.departments.values() for login in d.reviewers + d.secretaries + list(d.advisors)
    }
    hex40 = re.compile(r"^[0-9a-f]{40}$")
    for name in NAMES:
        pr, now, _ = scenario(name)
        assert {
            "number",
            "author",
            "createdAt",
            "files",
            "reviews",
            "labels",
            "comments",
            "commits",
            "headRefOid",
            "state",
        } <= set(pr)
        assert pr["author"]["login"] in known, name
        assert pr["headRefOid"] == pr["commits"][-1]["oid"] and all(hex40.match(c["oid"]) for c in pr["commits"])
        assert all(a["login"] in known for c in pr["commits"] for a in c["authors"]), name
        submitted = [r["submittedAt"] for r in pr["reviews"] if r["submittedAt"] is not None]  # null: a pending review
        assert len(submitted) >= sum(r["state"] != "PENDING" for r in pr["reviews"]), name
        events = (
            submitted + [c["createdAt"] for c in pr["comments"]] + [e["createdAt"] for e in pr.get("timelineItems", [])]
        )
        assert all(datetime.fromisoformat(t) <= now for t in events), f"{name}: an event after 'now'"
        # known people, in any case (GitHub's logins are case-insensitive), students, or a deleted account ("")
        assert all(
            r["author"]["login"].lower() in known
            or r["author"]["login"].startswith("stu-")
            or r["author"]["login"] == ""
            for r in pr["reviews"]
        ), name
        # the timeline as GitHub's GraphQL returns it (the adapter adds it); only the timeline-missing scenario lacks it
        assert ("timelineItems" in pr) == (name != "timeline-missing"), name
        for e in pr.get("timelineItems", []):
            assert (
                e["__typename"] in ("LabeledEvent", "UnlabeledEvent", "ReviewDismissedEvent")
                and e["actor"]["login"] in known
            )
            assert set(e) == (
                {"__typename", "createdAt", "actor", "label"}
                if "label" in e
                else {"__typename", "createdAt", "actor", "previousReviewState", "review"}
            )


def test_every_scenario_says_why_its_expectation_is_right():
    for name in NAMES:
        meta = json.loads((SCENARIOS / name / "meta.json").read_text(encoding="utf-8"))
        assert meta["title"] and (meta.get("why") or name in _RECORDED_BEFORE_WHY), name


# Scenarios recorded before meta.json carried the reasoning; their titles say what they show.
_RECORDED_BEFORE_WHY = set(NAMES) - {
    "objection-by-label",
    "resolved-but-label-remains",
    "objection-dismissed",
    "ruling-after-dismissed-objection",
    "objection-label-removed",
    "ruling-after-label-removed",
    "commit-author-approval",
    "upper-case-login",
    "pending-review",
    "deleted-account",
    "revert-under-same-blobs",
    "calendar-year-not-described",
    "timeline-missing",
}


def test_notice_is_n_working_days_after_the_approval_day_all_year(rules):
    """For every approval day of 2026, the notice holds exactly N working days, starting after that day."""
    n = rules.school.notice.working_days
    pr, _, _ = scenario("finally-approved")
    pr = copy.deepcopy(pr)
    pr["reviews"] = [r for r in pr["reviews"] if r["author"]["login"] == "hg-chen"]
    described = {d.year for d in rules.calendar.holidays}
    assert 2026 in described and 2027 not in described  # the demo's calendar: the test's premise
    for offset in range(365):
        day = date(2026, 1, 1) + timedelta(days=offset)
        pr["reviews"][0]["submittedAt"] = f"{day}T12:00:00+08:00"
        state = review_state(pr, rules, datetime(2027, 3, 1, tzinfo=UTC))
        start, end = state.notice_start, state.notice_end
        if day >= date(2026, 12, 25):
            # 5 working days after 12-25 reach 2027 even with no holiday in between (12-28..12-31 are 4): the calendar
            # does not describe 2027, so the notice is not counted and the reason names the year
            assert start is None and state.stage is Stage.DEPARTMENT_APPROVED and not state.mergeable, day
            assert any(r.code == "calendar-missing" and "2027" in r.text and r.blocking for r in state.reasons), day
            continue
        span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        assert start > day and rules.is_working_day(start) and rules.is_working_day(end)
        assert sum(map(rules.is_working_day, span)) == n, day
        assert not any(rules.is_working_day(day + timedelta(days=i)) for i in range(1, (start - day).days))


def test_notice_ends_at_midnight_of_its_last_day(rules):
    pr, _, _ = scenario("ready-for-final-approval")
    end = datetime.fromisoformat("2026-10-13T00:00:00+08:00")
    assert review_state(pr, rules, end - timedelta(seconds=1)).stage is Stage.IN_NOTICE
    assert review_state(pr, rules, end).stage is Stage.READY
    opens = datetime.fromisoformat("2026-09-30T00:00:00+08:00")
    assert review_state(pr, rules, opens - timedelta(seconds=1)).stage is Stage.DEPARTMENT_APPROVED
    assert review_state(pr, rules, opens).stage is Stage.IN_NOTICE


def test_order_of_reviews_and_comments_in_the_record_does_not_matter(rules):
    for name in (
        "objection-resolved",
        "resolution-by-department-reviewer",
        "reapproved-after-push",
        "objection-withdrawn",
    ):
        pr, now, expected = scenario(name)
        for seed in range(3):
            shuffled = copy.deepcopy(pr)
            random.Random(seed).shuffle(shuffled["reviews"])
            random.Random(seed).shuffle(shuffled["comments"])
            assert expected_of(review_state(shuffled, rules, now)) == expected


def test_a_push_that_changes_claims_restarts_the_clock_at_the_next_approval(rules):
    pr, now, _ = scenario("rebase-keeps-approval")
    before = review_state(pr, rules, now)
    changed = copy.deepcopy(pr)
    changed["contentIds"][changed["headRefOid"]] = "sha256:" + "0" * 64
    assert review_state(changed, rules, now).stage is Stage.SUBMITTED
    changed["reviews"].append(
        {
            "author": {"login": "hg-zhou"},
            "state": "APPROVED",
            "submittedAt": "2026-10-09T06:00:00Z",
            "commit": {"oid": changed["headRefOid"]},
        }
    )
    after = review_state(changed, rules, now)
    # approved again on Friday 2026-10-09: day 1 is Saturday 10-10, a make-up working day
    assert (before.notice_start, after.notice_start, after.notice_end) == (
        date(2026, 9, 30),
        date(2026, 10, 10),
        date(2026, 10, 15),
    )


def test_an_objection_does_not_move_the_notice(rules):
    quiet, now, _ = scenario("finally-approved")
    objected, _, _ = scenario("objection-resolved")
    assert review_state(quiet, rules, now).notice_end == review_state(objected, rules, now).notice_end


def test_a_list_of_exactly_gh_cap_files_without_a_count_is_not_trusted(rules):
    pr, now, _ = scenario("file-list-truncated")
    del pr["changedFiles"]
    state = review_state(pr, rules, now)
    assert state.stage is Stage.SUBMITTED and "files-incomplete" in {r.code for r in state.reasons}
    pr["files"] = pr["files"][:99]  # fewer than gh's cap: the list is whole
    assert "files-incomplete" not in {r.code for r in review_state(pr, rules, now).reasons}


def test_academic_affairs_cannot_finally_approve_claims_nobody_may_review(rules):
    pr, now, _ = scenario("unknown-department-folder")
    pr["files"] = [f for f in pr["files"] if "/art/" in f["path"]]
    state = review_state(pr, rules, now)
    assert (state.stage, state.final_approver, state.departments) == (Stage.SUBMITTED, None, ())


def test_as_dict_is_plain_json(rules):
    pr, now, expected = scenario("objection-resolved")
    data = json.loads(json.dumps(review_state(pr, rules, now).as_dict(), ensure_ascii=False))
    assert data["stage"] == expected["stage"] and data["mergeable"] is True
    assert data["resolutions"][0]["by"] == "jwc-liu" and data["resolutions"][0]["text"].startswith("经核对原始签到表")
    assert data["objections"] == [
        {"kind": "review", "by": "hg-zhou", "at": "2026-10-08T03:15:00Z", "resolved_by": "jwc-liu"}
    ]
    assert all(re.search(r"[\u4e00-\u9fff].* \(.+\)$", r["text"]) for r in data["reasons"])  # 中文 (English)


def test_now_without_a_zone_is_refused(rules):
    pr, now, _ = scenario("finally-approved")
    with pytest.raises(ValueError):
        review_state(pr, rules, now.replace(tzinfo=None))


@pytest.mark.parametrize(
    "damage, where",
    [
        (lambda pr: pr["reviews"][0].pop("submittedAt"), "reviews[0].submittedAt"),
        (lambda pr: pr["reviews"][0].update(submittedAt="2026-09-29 10:10"), "reviews[0].submittedAt"),
        (lambda pr: pr.update(state="DRAFT"), "state"),
        (lambda pr: pr.update(files={"path": "x"}), "files"),
        (lambda pr: pr["files"][0].pop("path"), "files[0].path"),
        (lambda pr: pr.update(number="55"), "number"),
        (lambda pr: pr.pop("headRefOid"), "headRefOid"),
    ],
)
def test_a_bad_record_names_the_field(rules, damage, where):
    pr, now, _ = scenario("finally-approved")
    pr = copy.deepcopy(pr)
    damage(pr)
    with pytest.raises(BadPullRequest) as err:
        review_state(pr, rules, now)
    assert where in str(err.value) and re.search(r"[\u4e00-\u9fff]", str(err.value))


# ---------------------------------------------------------------- the commands, as the workflow runs them


def dekt(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DEKT, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_review_state_prints_stage_notice_and_reasons():
    _pr, now, _ = scenario("notice-across-national-day")
    result = dekt(
        "review-state", "--pr", str(SCENARIOS / "notice-across-national-day" / "pr.json"), "--now", now.isoformat()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "#48 公示中 (in public notice)"
    assert "2026-09-30 — 2026-10-12" in result.stdout and "今天是第 4 个工作日" in result.stdout


def test_review_state_json_from_stdin_with_a_wall_clock_now():
    pr_text = (SCENARIOS / "ready-for-final-approval" / "pr.json").read_text(encoding="utf-8")
    # 2026-10-12T23:30 in Asia/Shanghai is still the notice's last day; in UTC it would be the next morning.
    result = dekt("review-state", "--pr", "-", "--now", "2026-10-12T23:30:00", "--format", "json", stdin=pr_text)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stage"] == "in_notice" and data["notice"] == {
        "start": "2026-09-30",
        "end": "2026-10-12",
        "working_days": 5,
    }


@pytest.mark.parametrize(
    "name, code",
    [
        ("finally-approved", 0),
        ("rules-change-approved", 0),
        ("ready-for-final-approval", 1),
        ("resolved-but-label-remains", 1),
        ("merged", 1),
    ],
)
def test_gate_passes_only_a_finally_approved_pull_request(name, code):
    _, now, expected = scenario(name)
    result = dekt("gate", "--pr", str(SCENARIOS / name / "pr.json"), "--now", now.isoformat())
    assert result.returncode == code == (0 if expected["mergeable"] else 1), result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("可以合并" if code == 0 else "不可合并")
    if code:
        assert "✗" in result.stdout  # says why not


def test_gate_on_a_pull_request_still_in_notice_says_until_when():
    result = dekt(
        "gate", "--pr", str(SCENARIOS / "rebase-keeps-approval" / "pr.json"), "--now", "2026-10-09T14:00:00+08:00"
    )
    assert result.returncode == 1 and "2026-10-12" in result.stdout and "公示中" in result.stdout


def test_bad_json_is_exit_2_with_line_and_column(tmp_path):
    bad = tmp_path / "pr.json"
    bad.write_text('{\n  "number": 12,\n  "state": "OPEN",,\n}\n', encoding="utf-8")
    for command in ("gate", "review-state"):
        result = dekt(command, "--pr", str(bad), "--now", "2026-10-13T09:00:00+08:00")
        assert result.returncode == 2 and result.stdout == ""
        assert f"{bad}:3:19: 不是有效的 JSON (not valid JSON)" in result.stderr


def test_a_record_without_a_field_is_exit_2_naming_it(tmp_path):
    pr, now, _ = scenario("finally-approved")
    del pr["reviews"][1]["submittedAt"]
    path = tmp_path / "pr.json"
    path.write_text(json.dumps(pr, ensure_ascii=False), encoding="utf-8")
    result = dekt("gate", "--pr", str(path), "--now", now.isoformat())
    assert result.returncode == 2
    assert (
        "字段 reviews[1].submittedAt 缺失" in result.stderr
        and "(field reviews[1].submittedAt is missing" in result.stderr
    )


def test_bad_now_and_missing_file_are_exit_2(tmp_path):
    good = str(SCENARIOS / "finally-approved" / "pr.json")
    result = dekt("gate", "--pr", good, "--now", "next Tuesday")
    assert result.returncode == 2 and "不是 ISO-8601 时间" in result.stderr
    result = dekt("gate", "--pr", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and "无法读取 (cannot read)" in result.stderr


def test_codeowners_lists_a_login_once_whatever_its_case():
    from dekt.codeowners import _owners

    # GitHub compares logins case-insensitively: HG-Chen is hg-chen, listed once, in the first spelling given
    assert _owners(["hg-chen", "HG-Chen", "hg-zhou"]) == "@hg-chen @hg-zhou"
