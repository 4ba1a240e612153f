"""Team integrity: at most ``max_leaders`` leaders per team claim (default one, DK425), no rank twice (DK426).

The bad inputs are corpus files (tests/corpus/claims/participants_two_leaders.yaml, participants_rank_duplicate.yaml);
here, the rule that allows more leaders.
"""

from __future__ import annotations

from dekt.check import check_repository
from helpers import make_repo

TEAM = "records/claims/2014-2015/customs/cup-team.yaml"


def team(*roles: str) -> str:
    """A school-level Challenge Cup first prize of a team with ``roles`` (members ranked 2, 3, … in order)."""
    students = ("2014010001", "2014010002", "2014010003")
    rows, rank = [], 2
    for sid, role in zip(students, roles):
        if role == "member":
            rows.append(f"  - {{student: {sid}, role: member, rank: {rank}}}\n")
            rank += 1
        else:
            rows.append(f"  - {{student: {sid}, role: leader}}\n")
    return (
        "activity: 第十四届“挑战杯”竞赛\ncategory: challenge_cup\ndate: 2014-11-20\nregistered: 2015-05-10\n"
        "level: school\naward: first\nevidence: 获奖证书 K-500\nadvisor: hg-li\nparticipants:\n" + "".join(rows)
    )


def allow_leaders(root, count: int) -> None:
    """Give challenge_cup in the 2014-2015 rules ``max_leaders: count``."""
    path = root / "rules/credits/2014-2015.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n  challenge_cup:\n") == 1
    path.write_text(
        text.replace("\n  challenge_cup:\n", f"\n  challenge_cup:\n    max_leaders: {count}\n"), encoding="utf-8"
    )


def codes(root) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in check_repository(root).diagnostics if d.file == TEAM]


def test_a_rule_may_allow_two_leaders_and_a_third_is_still_refused(tmp_path):
    root = make_repo(tmp_path, files={TEAM: team("leader", "leader", "member")})
    assert codes(root) == [("DK425", 11)]  # the default: one leader; the second (line 11) is reported
    allow_leaders(root, 2)
    assert codes(root) == []
    (root / TEAM).write_text(team("leader", "leader", "leader"), encoding="utf-8")
    [d] = [d for d in check_repository(root).diagnostics if d.file == TEAM]
    assert (d.code, d.line) == ("DK425", 12) and "3" in d.message and "2" in d.message  # 3 leaders, at most 2
