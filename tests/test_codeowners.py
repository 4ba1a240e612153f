"""CODEOWNERS routes each department's claims to its reviewers and never drifts from the rules."""

from __future__ import annotations

import subprocess
import sys

from dekt.check import check_repository
from dekt.codeowners import CODEOWNERS_FILE


def dekt(root, *args):
    return subprocess.run([sys.executable, "-m", "dekt.cli", *args], cwd=root, capture_output=True, text=True)


def test_written_file_routes_departments_and_rules(repo_factory):
    root = repo_factory()
    (root / CODEOWNERS_FILE).unlink()
    assert dekt(root, "codeowners").returncode == 0
    lines = [
        l for l in (root / CODEOWNERS_FILE).read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")
    ]
    assert lines[0] == "*  @jwc-wang @jwc-liu"  # academic affairs: rules/, code, anything unmatched
    assert "/records/claims/*/customs/  @hg-chen @hg-zhou" in lines
    assert "/records/claims/*/law/  @fl-sun" in lines
    assert len(lines) == 1 + 5  # the default and one line per department of rules/school.yaml


def test_validation_fails_when_the_file_is_missing_or_stale(repo_factory):
    root = repo_factory()
    assert check_repository(root).ok
    path = root / CODEOWNERS_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("@fl-sun", "@someone-else"), encoding="utf-8")
    stale = [d for d in check_repository(root).diagnostics if d.code == "DK504"]
    assert [(d.file, d.line) for d in stale] == [
        (CODEOWNERS_FILE, text.splitlines().index("/records/claims/*/law/  @fl-sun") + 1)
    ]
    # A reviewer added in the rules must reach CODEOWNERS too.
    path.write_text(text, encoding="utf-8")
    school = root / "rules" / "school.yaml"
    school.write_text(
        school.read_text(encoding="utf-8").replace("reviewers: [fl-sun]", "reviewers: [fl-sun, fl-gao]"),
        encoding="utf-8",
    )
    assert [d.code for d in check_repository(root).diagnostics] == ["DK504"]
    path.unlink()
    assert [d.code for d in check_repository(root).diagnostics] == ["DK504"]
    assert dekt(root, "codeowners").returncode == 0 and check_repository(root).ok


def test_the_committed_file_matches_the_shipped_rules():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert [d for d in check_repository(root).diagnostics if d.code == "DK504"] == []
