"""`dekt doctor` on recorded settings (tests/doctor/correct/: the shapes of GitHub's REST answers for the
repository, the rules for a branch, the classic protection, the environments and Pages, as its REST docs
describe them): a correct setup passes; each setting taken away, one at a time, is named and fails."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "tests" / "doctor" / "correct"


def saved():
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in CORRECT.glob("*.json")}


def doctor(tmp_path, data, *extra, cwd=ROOT):
    folder = tmp_path / "settings"
    folder.mkdir(exist_ok=True)
    for name, value in data.items():
        (folder / f"{name}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    cmd = [sys.executable, "-m", "dekt.cli", "doctor", "--from", str(folder), *extra]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def rule(data, kind):
    return next(r for r in data["rules"] if r["type"] == kind)["parameters"]


def test_a_correct_setup_passes(tmp_path):
    done = doctor(tmp_path, saved())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✗" not in done.stdout and done.stdout.count("✓") == 12 and "设置齐全" in done.stdout


# Each case breaks one setting the README's setup section lists, and the words doctor must name it by.
BREAKS = {
    "public repository": (lambda d: d["repo"].update(private=False, visibility="public"), "私有仓库"),
    "merge commits off": (lambda d: d["repo"].update(allow_merge_commit=False), "允许合并提交"),
    "squash on": (lambda d: d["repo"].update(allow_squash_merge=True), "关闭压缩合并"),
    "rebase on": (lambda d: d["repo"].update(allow_rebase_merge=True), "关闭变基合并"),
    "validate not required": (
        lambda d: rule(d, "required_status_checks")["required_status_checks"].pop(0), "必需检查 validate"),
    "gate from any app": (  # integration_id null: any app (or a branch's workflow posting as another app) satisfies it
        lambda d: rule(d, "required_status_checks")["required_status_checks"][1].update(integration_id=None),
        "必需检查 dekt/review-gate"),
    "no code owners": (lambda d: (rule(d, "pull_request").update(require_code_owner_review=False),
                                  d["protection"]["required_pull_request_reviews"].update(require_code_owner_reviews=False)),
                       "要求代码所有者审核"),
    "no last-push approval": (lambda d: (rule(d, "pull_request").update(require_last_push_approval=False),
                                         d["protection"]["required_pull_request_reviews"].update(require_last_push_approval=False)),
                              "要求批准最近一次推送"),
    "stale approvals dismissed": (lambda d: rule(d, "pull_request").update(dismiss_stale_reviews_on_push=True),
                                  "关闭“推送后撤销过期批准”"),
    "anyone may dismiss": (
        lambda d: d["protection"]["required_pull_request_reviews"].update(
            dismissal_restrictions={"users": [], "teams": []}),
        "限制谁可以撤销审核"),
    "no environment": (lambda d: d["environments"]["environments"].pop(0), "环境 academic-affairs"),
    "environment without reviewers": (
        lambda d: d["environments"]["environments"][0]["protection_rules"].pop(0), "环境 academic-affairs"),
    "environment approved by a secretary": (
        lambda d: d["environments"]["environments"][0]["protection_rules"][0].update(
            reviewers=[{"type": "User", "reviewer": {"login": "hg-mishu", "id": 1043001, "type": "User"}}]),
        "环境 academic-affairs"),
    "environment on any branch": (
        lambda d: d["environments"]["environments"][0].update(deployment_branch_policy=None), "环境 academic-affairs"),
    "pages from a branch": (lambda d: d["pages"].update(build_type="legacy"), "Pages 来源为 GitHub Actions"),
}  # fmt: skip


@pytest.mark.parametrize("case", BREAKS)
def test_each_missing_setting_is_named(tmp_path, case):
    data = copy.deepcopy(saved())
    damage, name = BREAKS[case]
    damage(data)
    done = doctor(tmp_path, data)
    assert done.returncode == 1
    wrong = [line for line in done.stdout.splitlines() if line.startswith("✗")]
    assert len(wrong) == 1 and name in wrong[0], done.stdout
    assert "1 项设置缺失或不对 (1 setting(s) missing or wrong)" in done.stdout


def test_a_branch_without_classic_protection_lacks_only_the_dismissal_restriction(tmp_path):
    """GitHub answers 404 "Branch not protected" when only rulesets protect it: rulesets cannot restrict dismissals."""
    data = saved()
    data["protection"] = {
        "message": "Branch not protected",
        "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection",
        "status": "404",
    }
    done = doctor(tmp_path, data)
    assert done.returncode == 1 and [line for line in done.stdout.splitlines() if line.startswith("✗")] == [
        "✗ 限制谁可以撤销审核 (restrict who may dismiss reviews)"
    ]


def test_full_rulesets_count_only_when_active(tmp_path):
    data = saved()
    ruleset = {
        "id": 4185210,
        "name": "main",
        "target": "branch",
        "enforcement": "active",
        "source_type": "Repository",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "rules": data["rules"],
    }
    data["rules"] = [ruleset]
    assert doctor(tmp_path, data).returncode == 0
    ruleset["enforcement"] = "evaluate"  # evaluate mode only reports; it enforces nothing
    data["protection"] = {"message": "Branch not protected", "status": "404"}
    done = doctor(tmp_path, data)
    assert done.returncode == 1 and "✗ 必需检查 validate" in done.stdout


def test_without_pages_it_says_what_was_not_checked(tmp_path):
    data = saved()
    del data["pages"]
    done = doctor(tmp_path, data)
    assert done.returncode == 0 and "? Pages" in done.stdout and "未检查" in done.stdout


def test_explicit_files_and_a_missing_one(tmp_path):
    files = {k: str(CORRECT / f"{k}.json") for k in ("repo", "rules", "protection", "environments")}
    cmd = [sys.executable, "-m", "dekt.cli", "doctor", "--repo-json", files["repo"], "--rulesets-json", files["rules"],
           "--protection-json", files["protection"], "--environments-json", files["environments"]]  # fmt: skip
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False).returncode == 0
    done = subprocess.run(cmd[:-2], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "--environments-json" in done.stderr
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    done = subprocess.run(
        [*cmd[:-1], str(tmp_path / "bad.json")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "bad.json 不是有效的 JSON" in done.stderr


def test_the_readme_setup_section_walks_through_what_doctor_checks(tmp_path):
    """A new user follows the README's section: every setting doctor names is set there, by the same words."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 仓库设置 · Repository setup", 1)[1].split("\n## ", 1)[0]
    broken = {"repo": {}, "rules": [], "protection": {}, "environments": {}, "pages": {}}
    done = doctor(tmp_path, broken)
    assert done.returncode == 1 and done.stdout.count("✗") == 12  # nothing set: every setting named
    for phrase in ("Change visibility", "Allow merge commits", "validate", "dekt/review-gate", "GitHub Actions",
                   "Require review from Code Owners", "Require approval of the most recent reviewable push",
                   "Dismiss stale pull request approvals when new commits are pushed",
                   "Restrict who can dismiss pull request reviews", "academic-affairs", "Required reviewers",
                   "Source: GitHub Actions"):  # fmt: skip
        assert phrase in done.stdout and phrase in section, phrase
    # the commands the section gives save exactly the files `dekt doctor --from` reads
    from dekt.doctor import FILES

    assert (
        all(f"gh-settings/{name}" in section for name in FILES.values()) and "dekt doctor --from gh-settings" in section
    )
