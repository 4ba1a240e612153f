"""Build small, real dekt repositories in temporary folders for tests.

``make_repo(tmp_path, roster_rows, files)`` copies the project's ``rules/``, writes a roster CSV and
the given files, and optionally commits everything to a real Git repository. Tests reuse
``ROSTER`` (students of several departments and cohorts) and ``claim_text`` (a valid claim).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

from dekt.codeowners import write_codeowners
from dekt.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
ROSTER_COLUMNS = ("id", "name", "department", "class", "enrollment_year", "status")

# A small roster: two departments (customs, law), cohorts 2011–2014, and one graduate.
# 2011 is before the first rules version (2012-2013), so its early claims have no rules in force.
ROSTER: tuple[tuple[str, ...], ...] = (
    ("2014010001", "张三", "customs", "海关管理2014级1班", "2014", "enrolled"),
    ("2014010002", "李四", "customs", "海关管理2014级1班", "2014", "enrolled"),
    ("2014010003", "王五", "customs", "海关管理2014级1班", "2014", "enrolled"),
    ("2013010001", "赵六", "customs", "海关管理2013级1班", "2013", "enrolled"),
    ("2012010001", "钱七", "customs", "海关管理2012级1班", "2012", "graduated"),
    ("2011010001", "孙八", "customs", "海关管理2011级1班", "2011", "graduated"),
    ("2014020001", "周九", "law", "法律2014级1班", "2014", "enrolled"),
    ("2013020001", "吴十", "law", "法律2013级1班", "2013", "enrolled"),
)

# Git identity for commits made in test repositories, independent of the machine's configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "dekt test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "dekt test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2015-01-05T10:00:00+08:00",
    "GIT_COMMITTER_DATE": "2015-01-05T10:00:00+08:00",
}


def roster_csv(rows=ROSTER, columns=ROSTER_COLUMNS) -> str:
    """A roster CSV text with ``columns`` as header and ``rows`` below."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def claim_text(student: str = "2014010001", **fields: str) -> str:
    """A valid one-person claim (a club leader in 2014-2015, in the customs folder); ``fields`` override."""
    values = {
        "activity": "摄影协会（2014-2015 学年）",
        "category": "clubs",
        "date": "2014-10-26",
        "registered": "2014-12-01",
        "role": "leader",
        "evidence": f"证明 {student}-clubs",
        "student": student,
        **fields,
    }
    return "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``root`` with a fixed identity (plus ``env``, e.g. commit dates); return its standard output."""
    full = {**os.environ, **GIT_ENV, **(env or {})}
    return subprocess.run(["git", *args], cwd=root, env=full, check=True, capture_output=True, text=True).stdout


def signed_merge(
    root: Path, branch: str, files: dict[str, str], key: Path, message: str, env: dict[str, str] | None = None
) -> str:
    """A secretary's unsigned branch commit, merged into main with ``git merge --no-ff -S``; return the merge id."""
    git(root, "checkout", "-q", "-b", branch, "main", env=env)
    write_files(root, files)
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "-m", f"{branch}: 提交申报", env=env)
    git(root, "checkout", "-q", "main", env=env)
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
    git(root, *sign, "merge", "--no-ff", "-S", "-q", "-m", message, branch, env=env)
    return git(root, "rev-parse", "HEAD", env=env).strip()


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write each repository-relative path with its text (UTF-8) or bytes, creating folders."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(
    tmp_path: Path,
    roster_rows=ROSTER,
    files: dict[str, str | bytes] | None = None,
    *,
    rules: Path = RULES_DIR,
    init_git: bool = False,
    name: str = "repo",
) -> Path:
    """A dekt repository under ``tmp_path/name``: the project's rules, a roster and ``files``.

    ``roster_rows`` is a sequence of rows in ROSTER_COLUMNS order, or a complete CSV text.
    With ``init_git`` the folder is a Git repository with everything committed on ``main``.
    """
    root = tmp_path / name
    root.mkdir(parents=True)
    shutil.copytree(rules, root / "rules", ignore=shutil.ignore_patterns("schema"))
    (root / "records" / "claims").mkdir(parents=True)
    roster = roster_rows if isinstance(roster_rows, (str, bytes)) else roster_csv(roster_rows)
    loaded, _ = load_rules(root)
    if loaded is not None:  # a complete repository routes review: CODEOWNERS as `dekt codeowners` writes it
        write_codeowners(root, loaded)
    write_files(root, {"records/students.csv": roster, **(files or {})})
    if init_git:
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return root
