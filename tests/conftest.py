"""Shared fixtures: small real repositories built with ``helpers.make_repo``."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session", autouse=True)
def font_cache(tmp_path_factory):
    """One font cache for the session (and for the dekt processes the tests start), as a user's cache would be."""
    keep = os.environ.get("DEKT_FONT_CACHE")
    path = Path(keep) if keep else tmp_path_factory.mktemp("fonts")
    os.environ["DEKT_FONT_CACHE"] = str(path)
    yield path
    if keep is None:
        os.environ.pop("DEKT_FONT_CACHE", None)


def pytest_sessionfinish(session, exitstatus):
    """In CI (``CI`` set, as ``.ci/run`` runs) a skipped test fails the run: a missing tool must not turn it green."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; in CI every test must run (install the tool it needs)", red=True
        )
        session.exitstatus = 1
