"""The shipped defaults: the demo school's ``rules/`` and the MkDocs project ``site/``.

In a source checkout they are the repository's own top-level folders; an installed package carries a copy as
package data (``dekt/defaults/rules``, ``dekt/defaults/site``, mapped in ``pyproject.toml``), so ``dekt demo`` and
the site build work from any folder after ``pip install .``.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import DektError

_MARKERS = {"rules": "school.yaml", "site": "mkdocs.yml"}


def folder(name: str) -> Path:
    """The shipped ``rules`` or ``site`` folder: the installed copy, else the source checkout's own."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parents[1] / name):
        if (candidate / _MARKERS[name]).is_file():
            return candidate
    raise DektError(f"找不到随 dekt 安装的 {name}/ (the {name}/ folder shipped with dekt is missing; reinstall dekt)")
