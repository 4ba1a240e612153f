"""The command's edge: load the rules and the pull request, decide, and put the result in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..diagnostics import DektError
from ..rules import load_rules_or_fail
from .decide import review_state, zone
from .forge import load_pr
from .model import ReviewState, Stage, iso


def parse_now(text: str | None, tz_name: str) -> datetime:
    """``--now`` as an aware moment: ISO-8601; a wall-clock time is read in the school's zone; None is now."""
    if text is None:
        return datetime.now(UTC)
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise DektError(
            f"--now {text!r} 不是 ISO-8601 时间，例如 2026-10-12T09:00:00+08:00"
            f" (not an ISO-8601 time, e.g. 2026-10-12T09:00:00+08:00)"
        ) from None
    return now if now.tzinfo is not None else now.replace(tzinfo=zone(tz_name))


def evaluate(root: Path, pr_path: str, now_text: str | None = None) -> ReviewState:
    """Decide the pull request in ``pr_path`` (``-``: stdin) under ``root``'s rules at ``now_text`` (default: now)."""
    rules = load_rules_or_fail(root)
    now = parse_now(now_text, rules.school.timezone)
    return review_state(load_pr(pr_path), rules, now, source="<stdin>" if pr_path == "-" else pr_path)


def state_text(state: ReviewState) -> str:
    """The stage, the notice, who approved, the rulings and every reason, for people."""
    lines = [f"#{state.number} {state.stage.label}"]
    if state.notice_start:
        lines.append(
            f"公示期 notice: {state.notice_start} — {state.notice_end}（{state.notice_days} 个工作日 working days）"
        )
    for d in state.departments:
        lines.append(
            f"初审 department {d.name} ({d.department}, {d.files} 个文件 files): {'、'.join(d.approvers) or '—'}"
        )
    if state.final_approver:
        lines.append(f"认定 final approval: {state.final_approver} {iso(state.final_approved_at)}")
    for r in state.resolutions:
        lines.append(f"裁定 ruling: {r.by} {iso(r.at)}: {r.text}")
    lines.append("原因 reasons:")
    lines += [f"  {'✗' if r.blocking else '·'} {r.text}" for r in state.reasons]
    return "\n".join(lines)


def gate_text(state: ReviewState) -> str:
    """The gate's verdict: may be merged, or why not (the blocking reasons)."""
    if state.mergeable:
        return f"可以合并：#{state.number} {state.stage.label} (may be merged)"
    why = [f"  ✗ {r.text}" for r in state.reasons if r.blocking]
    until = ""  # the first line becomes the commit status's description: say the date people wait for
    if state.stage in (Stage.DEPARTMENT_APPROVED, Stage.IN_NOTICE):
        until = f"，公示至 {state.notice_end} (notice until {state.notice_end})"
    return "\n".join([f"不可合并：#{state.number} {state.stage.label}{until} (may not be merged)", *why])


STATUS_CONTEXT = "dekt/review-gate"


def status_json(state: ReviewState) -> str:
    """The commit status the gate posts: success only when mergeable; GitHub keeps 140 characters of description."""
    description = gate_text(state).splitlines()[0]
    return json.dumps(
        {
            "context": STATUS_CONTEXT,
            "state": "success" if state.mergeable else "failure",
            "description": description[:140],
        },
        ensure_ascii=False,
    )
