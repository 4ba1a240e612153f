"""``dekt doctor``: the forge settings the review process depends on, checked from what GitHub's REST API returns.

Inputs, each saved with ``gh api`` (README, 仓库设置 · Repository setup): the repository
(``repos/{o}/{r}``), the rules in force on the default branch (``repos/{o}/{r}/rules/branches/{branch}``, a
list of rules; a list of full rulesets from ``repos/{o}/{r}/rulesets/{id}`` is read too), the classic branch
protection (``repos/{o}/{r}/branches/{branch}/protection``; GitHub's 404 body "Branch not protected" means
none), the environments (``repos/{o}/{r}/environments``) and, optionally, Pages (``repos/{o}/{r}/pages``).
A setting may come from a ruleset or from the classic protection; who may dismiss reviews exists only there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import DektError
from .review.forge import login_key

GITHUB_ACTIONS_APP = 15368  # the GitHub Actions app's id: a required check must come from it, not any app
REQUIRED_CHECKS = ("validate", "dekt/review-gate")
ENVIRONMENT = "academic-affairs"
FILES = {
    "repo": "repo.json",
    "rules": "rules.json",
    "protection": "protection.json",
    "environments": "environments.json",
    "pages": "pages.json",
}


@dataclass(frozen=True)
class Check:
    """One setting: what it is (中文 (English)), whether it is right, and what to do when it is not."""

    setting: str
    ok: bool | None  # None: not checked (no data given)
    fix: str = ""


def load_json(path: Path, what: str) -> object:
    """A saved ``gh api`` answer; DektError naming the file when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DektError(f"无法读取 {what} 的 JSON：{path}（{exc.strerror}）(cannot read the {what} JSON)") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DektError(f"{path} 不是有效的 JSON (not valid JSON): {exc}") from exc


def _rules(data: object) -> list[dict]:
    """The active branch rules, from the rules-for-a-branch list or from full rulesets."""
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    rules = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "rules" in item:  # a full ruleset: only an active one on branches counts
            if item.get("enforcement") == "active" and item.get("target", "branch") == "branch":
                rules += [r for r in item["rules"] if isinstance(r, dict)]
        elif "type" in item:
            rules.append(item)
    return rules


def _params(rules: list[dict], kind: str) -> list[dict]:
    return [r.get("parameters") or {} for r in rules if r.get("type") == kind]


def _checks_required(rules: list[dict], protection: dict) -> set[str]:
    found = set()
    for p in _params(rules, "required_status_checks"):
        found |= {
            c.get("context")
            for c in p.get("required_status_checks", [])
            if c.get("integration_id") == GITHUB_ACTIONS_APP
        }
    classic = protection.get("required_status_checks") or {}
    found |= {c.get("context") for c in classic.get("checks", []) if c.get("app_id") == GITHUB_ACTIONS_APP}
    return found


def _reviews(rules: list[dict], protection: dict, ruleset_key: str, classic_key: str) -> list[object]:
    values = [p.get(ruleset_key) for p in _params(rules, "pull_request")]
    classic = protection.get("required_pull_request_reviews")
    if isinstance(classic, dict):
        values.append(classic.get(classic_key))
    return values


def check_settings(
    repo: dict,
    rules_data: object,
    protection: object,
    environments: object,
    pages: object = None,
    academic_affairs: list[str] | None = None,
) -> list[Check]:
    """Every setting the process depends on, each right or wrong."""
    protection = protection if isinstance(protection, dict) and "message" not in protection else {}
    rules = _rules(rules_data)
    out = [
        Check(
            "私有仓库 (private repository: the roster holds full student ids and names)",
            repo.get("private") is True,
            "Settings → General → Danger Zone → Change visibility → Private",
        ),
        Check(
            "允许合并提交 (merge commits allowed: the review record is the merge commit)",
            repo.get("allow_merge_commit") is True,
            "Settings → General → Pull Requests → Allow merge commits",
        ),
        Check(
            "关闭压缩合并 (squash merging off: it would drop the batch's commits and the trailers)",
            repo.get("allow_squash_merge") is False,
            "Settings → General → Pull Requests → 取消 Allow squash merging",
        ),
        Check(
            "关闭变基合并 (rebase merging off: no merge commit, no review record)",
            repo.get("allow_rebase_merge") is False,
            "Settings → General → Pull Requests → 取消 Allow rebase merging",
        ),
    ]
    required = _checks_required(rules, protection)
    for context in REQUIRED_CHECKS:
        out.append(
            Check(
                f"必需检查 {context}，来自 GitHub Actions (required check {context} from the GitHub Actions app)",
                context in required,
                f"规则集 ruleset → Require status checks to pass → Add checks → {context}，来源选 GitHub Actions",
            )
        )
    out += [
        Check(
            "要求代码所有者审核 (require review from code owners: CODEOWNERS routes each folder to its reviewers)",
            True in _reviews(rules, protection, "require_code_owner_review", "require_code_owner_reviews"),
            "规则集 ruleset → Require a pull request before merging → Require review from Code Owners",
        ),
        Check(
            "要求批准最近一次推送 (require approval of the most recent push)",
            True in _reviews(rules, protection, "require_last_push_approval", "require_last_push_approval"),
            "规则集 ruleset → Require approval of the most recent reviewable push",
        ),
        Check(
            "关闭“推送后撤销过期批准”"
            "(dismiss stale approvals off: dekt decides staleness by content, a rebase keeps them)",
            bool(_reviews(rules, protection, "dismiss_stale_reviews_on_push", "dismiss_stale_reviews"))
            and True not in _reviews(rules, protection, "dismiss_stale_reviews_on_push", "dismiss_stale_reviews"),
            "规则集 ruleset → 取消 Dismiss stale pull request approvals when new commits are pushed",
        ),
    ]
    restrictions = (protection.get("required_pull_request_reviews") or {}).get("dismissal_restrictions") or {}
    out.append(
        Check(
            "限制谁可以撤销审核 (restrict who may dismiss reviews)",
            bool(restrictions.get("users") or restrictions.get("teams")),
            "分支保护 branch protection → Restrict who can dismiss pull request reviews → 教务处",
        )
    )
    out.append(_environment(environments, academic_affairs))
    if pages is None:
        out.append(Check("Pages 来源为 GitHub Actions (Pages built by GitHub Actions)", None, "--pages-json"))
    else:
        out.append(
            Check(
                "Pages 来源为 GitHub Actions (Pages built by GitHub Actions)",
                isinstance(pages, dict) and pages.get("build_type") == "workflow",
                "Settings → Pages → Build and deployment → Source: GitHub Actions",
            )
        )
    return out


def _environment(environments: object, academic_affairs: list[str] | None) -> Check:
    setting = (
        f"环境 {ENVIRONMENT}，由教务处审核人批准运行 (environment {ENVIRONMENT}, runs approved by academic affairs)"
    )
    fix = (
        f"Settings → Environments → New environment {ENVIRONMENT} → "
        "Required reviewers：教务处；Deployment branches：受保护分支"
    )
    envs = environments.get("environments", []) if isinstance(environments, dict) else []
    env = next((e for e in envs if isinstance(e, dict) and e.get("name") == ENVIRONMENT), None)
    if env is None:
        return Check(setting, False, fix)
    reviewers = [
        r
        for rule in env.get("protection_rules") or []
        if rule.get("type") == "required_reviewers"
        for r in rule.get("reviewers") or []
    ]
    logins = {login_key((r.get("reviewer") or {}).get("login")) for r in reviewers if r.get("type") == "User"}
    teams = [r for r in reviewers if r.get("type") == "Team"]
    aa = {login_key(x) for x in academic_affairs or []}
    right_people = bool(teams) or not aa or bool(logins & aa)
    branches = env.get("deployment_branch_policy") or {}
    only_protected = branches.get("protected_branches") is True or branches.get("custom_branch_policies") is True
    return Check(setting, bool(reviewers) and right_people and only_protected, fix)


def report(checks: list[Check]) -> str:
    """One line a setting: ✓ right, ✗ missing or wrong (with where to set it), ? not checked."""
    lines = []
    for c in checks:
        mark = "?" if c.ok is None else "✓" if c.ok else "✗"
        lines.append(f"{mark} {c.setting}")
        if not c.ok:
            lines.append(
                f"    → {c.fix}" if c.ok is False else f"    → 未检查，请提供 {c.fix} (not checked: pass {c.fix})"
            )
    bad = sum(c.ok is False for c in checks)
    lines.append(
        f"{bad} 项设置缺失或不对 ({bad} setting(s) missing or wrong)" if bad else "设置齐全 (every setting is right)"
    )
    return "\n".join(lines)
