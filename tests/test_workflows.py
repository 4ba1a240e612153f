"""The GitHub workflows are linted, and every dekt command they run exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dekt.cli import parser

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is a test dependency (pip install -e '.[test]')"
    return found


def test_there_are_workflows_for_validation_review_and_publishing():
    assert {p.stem for p in WORKFLOWS} >= {"validate", "review-gate", "publish"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(workflow):
    result = subprocess.run(
        [_tool("actionlint"), "-no-color", str(workflow)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_matches_the_github_workflow_schema(workflow):
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dekt_command_the_workflows_run_exists():
    commands = set(parser()._subparsers._group_actions[0].choices)
    used = set()
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job.get("steps", []):
                used |= set(re.findall(r"\bdekt ([a-z][a-z-]*)", step.get("run", "")))
    for script in (ROOT / ".github" / "scripts").glob("*.sh"):  # the workflows' loops live there
        code = "\n".join(
            line for line in script.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")
        )
        used |= set(re.findall(r"\bdekt ([a-z][a-z-]*)", code))
    assert used, "the workflows should call dekt"
    assert used <= commands, f"unknown dekt commands in workflows: {sorted(used - commands)}"


# ---------------------------------------------------------------- the workflows' security, checked offline

SCRIPTS = ROOT / ".github" / "scripts"
# Node 24 majors of the actions used (each action.yml at the pinned tag says `using: node24`, or composite over one)
NODE24 = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "actions/upload-pages-artifact": "v5",
    "actions/deploy-pages": "v5",
    "actions/cache": "v5",  # v5's action.yml: using: node24 (also its restore/ and save/ sub-actions)
    "actions/create-github-app-token": "v3",  # v3.1.1's action.yml: using: node24
}


def loaded(workflow: Path) -> dict:
    data = yaml.load(workflow.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # "on" stays a string key
    return data


def test_zizmor_finds_nothing():
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_at_their_node24_major(workflow):
    uses = re.findall(
        r"uses: ([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(\S+)(?: # (v[\d.]+))?", workflow.read_text(encoding="utf-8")
    )
    assert uses
    for action, ref, version in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action}@{ref} is not pinned to a commit"
        assert version and version.split(".")[0] == NODE24[action], f"{action} {version}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_credentials_kept_and_permissions_per_job(workflow):
    data = loaded(workflow)
    assert data["permissions"] == {}, "grant nothing workflow-wide"
    for name, job in data["jobs"].items():
        assert job.get("permissions"), f"{name}: permissions per job"
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] == "false", name


def test_gate_and_validate_run_the_default_branchs_workflow():
    for name in ("review-gate", "validate"):
        data = loaded(ROOT / ".github" / "workflows" / f"{name}.yml")
        assert not {"pull_request", "pull_request_review", "pull_request_review_comment"} & set(data["on"]), name
        steps = data["jobs"][next(iter(data["jobs"]))]["steps"]
        checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}", name


def test_the_gate_runs_in_one_concurrency_group_without_cancelling():
    data = loaded(ROOT / ".github" / "workflows" / "review-gate.yml")
    assert data["concurrency"] == {"group": "review-gate", "cancel-in-progress": "false"}


def test_merge_starts_publish_and_publish_can_be_started():
    assert "gh workflow run publish.yml" in (SCRIPTS / "merge.sh").read_text(encoding="utf-8")
    data = loaded(ROOT / ".github" / "workflows" / "publish.yml")
    assert "workflow_dispatch" in data["on"]
    assert loaded(ROOT / ".github" / "workflows" / "merge.yml")["jobs"]["merge"]["permissions"]["actions"] == "write"


def test_the_workflows_loops_live_in_scripts_that_stop_on_any_failure():
    for script in SCRIPTS.glob("*.sh"):
        text = script.read_text(encoding="utf-8")
        if script.name == "lib.sh":
            assert "shopt -s inherit_errexit" in text
        else:
            assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text, script.name
            assert os.access(script, os.X_OK), script.name
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job.get("steps", []):
                assert not re.search(r"\b(for|while)\b", step.get("run", "")), (
                    f"{workflow.name}: a loop outside .github/scripts/"
                )


def test_the_scripts_ask_github_for_the_timeline_the_adapter_reads():
    from dekt.review.adapter import TIMELINE_QUERY

    assert (SCRIPTS / "timeline.graphql").read_text(encoding="utf-8") == TIMELINE_QUERY + "\n"
    assert "pageInfo { hasNextPage endCursor }" in TIMELINE_QUERY and "$endCursor: String" in TIMELINE_QUERY
