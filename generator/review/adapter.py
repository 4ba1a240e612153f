"""The adapter's one Git step: content ids, so that a rebase keeps approvals and a real change does not.

For each commit a pull request's reviews point at (and its head), the id is a hash of what the pull
request changes at that commit: the paths, modes and blob ids of ``git diff --raw`` from the merge base
with the base branch. A rebase that changes no file gives the same id; any changed file, claim or not,
gives another. Commits the local clone does not have get no id (their approvals then count only if they
are on the head). The decision itself stays in ``decide.py``; this only prepares its input.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def content_id(root: Path, oid: str, base: str) -> str | None:
    """The content id of commit ``oid`` against ``base``, or None when the clone lacks either."""
    merge_base = _git(root, "merge-base", base, oid)
    if merge_base is None:
        return None
    raw = _git(root, "diff", "--raw", "--no-abbrev", "--no-renames", merge_base.strip(), oid)
    if raw is None:
        return None
    changes = []
    for line in raw.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if len(fields) == 5:  # :old_mode new_mode old_blob new_blob status — what the base had does not matter
            changes.append(f"{fields[1]} {fields[3]} {fields[4]}\t{path}")
    return hashlib.sha256("\n".join(sorted(changes)).encode()).hexdigest()


def add_content_ids(root: Path, pr: dict, base: str) -> dict:
    """A copy of ``pr`` with ``contentIds`` for its head and every reviewed commit the clone has."""
    oids = {pr.get("headRefOid")} | {(r.get("commit") or {}).get("oid") for r in pr.get("reviews", [])}
    ids = {oid: cid for oid in sorted(o for o in oids if o) if (cid := content_id(root, oid, base))}
    return {**pr, "contentIds": ids}
