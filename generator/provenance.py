"""Where each archived claim came from, read from Git in one pass over the history of ``main``.

For every claim file on the first-parent history (the archive): the commit that brought it onto
``main`` (the merge of its pull request), the pull request number, when it was merged and by whom,
and who reviewed and approved it. The merge step writes these as trailers in the merge commit's
message (see ``merge_message``); they are read back here:

    Dekt-PR: 123
    Submitted-by: hg-mishu
    Reviewed-by: hg-chen
    Notice: 2026-10-12..2026-10-16
    Approved-by: jwc-wang

Without trailers the pull request number still comes from GitHub's own subjects ("Merge pull
request #123 from …", "Title (#123)"), and the merger from the merge commit's author.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import DektError
from .records import CLAIMS_DIR

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.+?)\s*$")
_PR_SUBJECT = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))
_RS, _US = "\x1e", "\x1f"
_FORMAT = _RS + _US.join(["%H", "%an", "%aI", "%cI", "%B"]) + _US


@dataclass(frozen=True)
class Provenance:
    """How one claim file reached the archive."""

    file: str
    commit: str
    merged_at: str  # ISO-8601, the committer date of the commit on main
    merged_by: str
    pr: int | None = None
    submitted_by: str | None = None
    reviewers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    notice: str | None = None
    later_changes: tuple[str, ...] = field(default=())  # commits on main that changed the file afterwards

    def as_dict(self) -> dict:
        return {
            "file": self.file, "commit": self.commit, "pr": self.pr, "merged_at": self.merged_at,
            "merged_by": self.merged_by, "submitted_by": self.submitted_by, "reviewers": list(self.reviewers),
            "approvers": list(self.approvers), "notice": self.notice, "later_changes": list(self.later_changes),
        }  # fmt: skip


def trailers(message: str) -> dict[str, list[str]]:
    """The trailers of a commit message: ``Key: value`` lines of its last paragraph."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    out: dict[str, list[str]] = {}
    if len(paragraphs) < 2:
        return out
    for line in paragraphs[-1].splitlines():
        m = _TRAILER.match(line.strip())
        if m:
            out.setdefault(m.group(1).lower(), []).append(m.group(2))
    return out


def _pr_number(subject: str, found: dict[str, list[str]]) -> int | None:
    for value in found.get("dekt-pr", []):
        digits = value.lstrip("#")
        if digits.isdigit():
            return int(digits)
    for pattern in _PR_SUBJECT:
        m = pattern.search(subject)
        if m:
            return int(m.group(1))
    return None


def parse_log(text: str) -> dict[str, Provenance]:
    """Build the index from the output of ``git log`` in ``_FORMAT`` with ``--name-status``, newest first."""
    index: dict[str, Provenance] = {}
    changed: dict[str, list[str]] = {}
    for record in text.split(_RS)[1:]:
        sha, author, _authored, committed, body, files = record.split(_US, 5)
        found = trailers(body)
        subject = body.strip().split("\n", 1)[0]
        for line in files.splitlines():
            status, _, path = line.partition("\t")
            if not path or not path.startswith(CLAIMS_DIR + "/"):
                continue
            if status == "A" and path not in index:
                index[path] = Provenance(
                    file=path,
                    commit=sha,
                    merged_at=committed,
                    merged_by=(found.get("merged-by") or [author])[0],
                    pr=_pr_number(subject, found),
                    submitted_by=(found.get("submitted-by") or [None])[0],
                    reviewers=tuple(found.get("reviewed-by", [])),
                    approvers=tuple(found.get("approved-by", [])),
                    notice=(found.get("notice") or [None])[0],
                    later_changes=tuple(changed.pop(path, [])),
                )
            elif status in ("M", "T", "D") and path not in index:
                changed.setdefault(path, []).insert(0, sha)
    return index


def provenance_index(root: Path, ref: str = "HEAD") -> dict[str, Provenance]:
    """The provenance of every claim file added on the first-parent history of ``ref``, in one ``git log``."""
    cmd = [
        "-c", "core.quotePath=off", "log", "--first-parent", "--diff-merges=first-parent", "--no-renames",
        "--name-status", f"--format={_FORMAT}", ref, "--", CLAIMS_DIR,
    ]  # fmt: skip
    return parse_log(git(root, *cmd, what=f" of {ref}").decode("utf-8", errors="replace"))


def git(root: Path, *args: str, input: bytes | None = None, what: str = "") -> bytes:
    """The standard output of ``git ARGS`` in ``root``; a DektError when git is missing or the command fails."""
    try:
        return subprocess.run(["git", *args], cwd=root, input=input, capture_output=True, check=True).stdout
    except FileNotFoundError as exc:
        raise DektError("找不到 git 命令 (git is not installed)") from exc
    except subprocess.CalledProcessError as exc:
        raise DektError(
            f"无法读取 Git 历史 (cannot read the Git history{what}): {exc.stderr.decode(errors='replace').strip()}"
        ) from exc


def merge_message(
    title: str,
    pr: int,
    submitted_by: str,
    reviewers: list[str],
    approvers: list[str],
    notice: str | None,
    merged_by: str | None = None,
    certifies: list[str] = (),
) -> str:
    """The merge commit message the merge step writes, with the trailers ``provenance_index`` reads back.

    The merge is signed, so the trailers are academic affairs' signed statement; ``Certifies`` names earlier
    commits on ``main`` that it certifies after the fact (see ``dekt.custody``).
    """
    title = " ".join(title.split())  # one line: a title is data, and a newline in it would forge a trailer
    lines = [f"{title} (#{pr})", "", f"Dekt-PR: {pr}", f"Submitted-by: {submitted_by}"]
    lines += [f"Reviewed-by: {r}" for r in reviewers]
    if notice:
        lines.append(f"Notice: {notice}")
    lines += [f"Approved-by: {a}" for a in approvers]
    if merged_by:
        lines.append(f"Merged-by: {merged_by}")
    lines += [f"Certifies: {c}" for c in certifies]
    return "\n".join(lines) + "\n"
