"""Record a review scenario: a pull request as gh prints it, the moment, and the decided result for a human to check.

    gh pr view 42 --json number,author,createdAt,files,reviews,labels,comments,commits,headRefOid,state,changedFiles \\
        > /tmp/pr.json
    .venv/bin/python tests/review/record.py NAME --pr /tmp/pr.json --now 2026-10-12T09:00:00+08:00 --title "…"

writes ``tests/review/scenarios/NAME/`` with ``pr.json``, ``meta.json`` (the moment and what the scenario is
about) and ``expected.json`` (the result as computed now). Read expected.json before committing it: it is the
test's oracle only once a person has agreed with it. ``--again NAME`` recomputes the expectation of an existing
scenario and shows what changed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def expected_of(state) -> dict:
    """The part of a ReviewState a scenario pins down."""
    return {
        "stage": state.stage.value,
        "mergeable": state.mergeable,
        "notice_start": state.notice_start.isoformat() if state.notice_start else None,
        "notice_end": state.notice_end.isoformat() if state.notice_end else None,
        "approvers": {d.department: list(d.approvers) for d in state.departments},
        "final_approver": state.final_approver,
        "open_objections": [o.kind if o.by is None else f"{o.kind}:{o.by}" for o in state.open_objections],
        "resolutions": [r.by for r in state.resolutions],
        "reasons": sorted({r.code for r in state.reasons}),
    }


def decide(pr: dict, meta: dict):
    """The state of ``pr`` at the scenario's moment, under this repository's rules."""
    from dekt.review import review_state
    from dekt.rules import load_rules

    rules, problems = load_rules(ROOT)
    if rules is None:
        sys.exit(f"rules/ do not load: {problems}")
    return review_state(pr, rules, datetime.fromisoformat(meta["now"]))


def dump(data: dict) -> str:
    """JSON as committed: two-space indent, Chinese as is, a final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def record(name: str, pr: dict, now: str, title: str, force: bool = False) -> dict:
    """Write one scenario folder and return its expectation."""
    folder = SCENARIOS / name
    if folder.exists() and not force:
        sys.exit(f"{folder} exists; pass --force to replace it, or --again to recompute its expectation")
    if datetime.fromisoformat(now).tzinfo is None:
        sys.exit("--now needs a time zone, e.g. 2026-10-12T09:00:00+08:00")
    meta = {"title": title, "now": now}
    expected = expected_of(decide(pr, meta))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pr.json").write_text(dump(pr), encoding="utf-8")
    (folder / "meta.json").write_text(dump(meta), encoding="utf-8")
    (folder / "expected.json").write_text(dump(expected), encoding="utf-8")
    return expected


def again(name: str) -> None:
    """Recompute an existing scenario's expectation and print the difference."""
    folder = SCENARIOS / name
    pr, meta = (json.loads((folder / f).read_text(encoding="utf-8")) for f in ("pr.json", "meta.json"))
    old = (folder / "expected.json").read_text(encoding="utf-8") if (folder / "expected.json").exists() else ""
    new = dump(expected_of(decide(pr, meta)))
    sys.stdout.writelines(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), "expected.json (old)", "expected.json (new)")
    )
    (folder / "expected.json").write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Command line: record NAME from a PR JSON, or recompute one with --again."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="scenario folder name, e.g. objection-by-label")
    p.add_argument("--pr", help="the PR JSON as gh prints it (- for stdin)")
    p.add_argument("--now", help="the moment, ISO-8601 with a zone")
    p.add_argument("--title", default="", help="what the scenario shows, 中文 (English)")
    p.add_argument("--force", action="store_true", help="replace an existing scenario")
    p.add_argument("--again", action="store_true", help="recompute the expectation of an existing scenario")
    args = p.parse_args(argv)
    if args.again:
        again(args.name)
        return
    if not args.pr or not args.now:
        p.error("--pr and --now are required to record a scenario")
    if (SCENARIOS / args.name).exists() and not args.force:
        p.error(f"{SCENARIOS / args.name} exists; pass --force to replace it, or --again to recompute its expectation")
    pr = json.load(sys.stdin if args.pr == "-" else open(args.pr, encoding="utf-8"))
    print(dump(record(args.name, pr, args.now, args.title, args.force)), end="")
    print(f"wrote {SCENARIOS / args.name}; check expected.json before committing it", file=sys.stderr)


if __name__ == "__main__":
    main()
