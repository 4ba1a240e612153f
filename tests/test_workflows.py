"""The GitHub workflows are linted, and every dekt command they run exists."""

from __future__ import annotations

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
    result = subprocess.run([_tool("actionlint"), "-no-color", str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_matches_the_github_workflow_schema(workflow):
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dekt_command_the_workflows_run_exists():
    commands = set(parser()._subparsers._group_actions[0].choices)
    used = set()
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job.get("steps", []):
                used |= set(re.findall(r"\bdekt ([a-z][a-z-]*)", step.get("run", "")))
    assert used, "the workflows should call dekt"
    assert used <= commands, f"unknown dekt commands in workflows: {sorted(used - commands)}"
