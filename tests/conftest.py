"""Shared fixtures: small real repositories built with ``helpers.make_repo``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so test modules can `import helpers`

import helpers  # noqa: E402


@pytest.fixture
def repo_factory(tmp_path):
    """Call ``repo_factory(files=..., roster_rows=..., init_git=...)`` to get a fresh repository folder."""
    count = 0

    def make(roster_rows=helpers.ROSTER, files=None, **kwargs):
        nonlocal count
        count += 1
        kwargs.setdefault("name", f"repo{count}")
        return helpers.make_repo(tmp_path, roster_rows, files, **kwargs)

    return make
