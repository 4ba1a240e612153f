"""``dekt merge``: academic affairs' signed merge of a pull request the review gate passes.

It merges the pull request's head commit into the checked-out default branch with ``git merge --no-ff -S``
(Git's SSH signing, with the key given or configured), writing the review record as trailers, so that the
record is academic affairs' signed statement. The merge workflow runs it with the key from the
``academic-affairs`` environment; an officer can run it on their own machine with their key.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .diagnostics import DektError, Refused
from .provenance import merge_message

_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def certified_commits(pr: dict, extra: list[str] = ()) -> list[str]:
    """Commits the merge certifies after the fact: ``Certifies: <commit>`` lines of the pull request's body,
    then ``extra``; each must look like a commit id (the body is data, not a place to write trailers)."""
    found = []
    for line in str(pr.get("body") or "").splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip().lower() == "certifies":
            found.append(value.strip().lower())
    out = []
    for sha in [*found, *extra]:
        if not _SHA.match(sha):
            raise DektError(f"Certifies: “{sha}” 不是提交号 (not a commit id)")
        if sha not in out:
            out.append(sha)
    return out


def review_message(
    root: Path, pr_path: str, now: str | None, merged_by: str | None = None, certify: list[str] = ()
) -> tuple[object, dict, str]:
    """The gate's state, the pull request and the signed merge's message; refuses a pull request that may not merge."""
    from .review import evaluate, gate_text, load_pr

    state = evaluate(root, pr_path, now)
    if not state.mergeable:  # exit 1, as ``dekt gate`` says the same
        raise Refused(gate_text(state))
    pr = load_pr(pr_path)
    notice = f"{state.notice_start}..{state.notice_end}" if state.notice_start else None
    reviewers = sorted({login for d in state.departments for login in d.approvers})
    title = pr.get("title") or f"第二课堂申报 #{state.number}"
    message = merge_message(title, state.number, pr["author"]["login"], reviewers, [state.final_approver], notice,
                            merged_by or state.final_approver, certified_commits(pr, list(certify)))  # fmt: skip
    return state, pr, message


def signing_key(key: str | None) -> str:
    """The SSH signing key: ``--key``, else ``$DEKT_SIGNING_KEY``, else Git's ``user.signingkey``."""
    key = key or os.environ.get("DEKT_SIGNING_KEY")
    if key:
        if not Path(key).expanduser().is_file():
            raise DektError(f"找不到签名密钥文件 {key} (no such signing key file)")
        return str(Path(key).expanduser().resolve())
    configured = subprocess.run(
        ["git", "config", "user.signingkey"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not configured:
        raise DektError(
            "没有签名密钥：请用 --key 或 DEKT_SIGNING_KEY 指定教务处的 SSH 私钥"
            " (no signing key: pass --key or set DEKT_SIGNING_KEY)"
        )
    return configured


def signed_merge(
    root: Path, pr_path: str, *, now: str | None = None, key: str | None = None, merged_by: str | None = None,
    certify: list[str] = (),
) -> tuple[str, str]:  # fmt: skip
    """Merge the pull request's head into HEAD, signed; return (the merge commit, its message)."""
    _state, pr, message = review_message(root, pr_path, now, merged_by, certify)
    head = pr.get("headRefOid")
    if not head or not _SHA.match(head):
        raise DektError("PR.json 缺少 headRefOid (the pull request has no head commit id)")
    ssh = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={signing_key(key)}"]
    r = subprocess.run(
        ["git", *ssh, "merge", "--no-ff", "-S", "-q", "-m", message, head],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        subprocess.run(["git", "merge", "--abort"], cwd=root, capture_output=True, check=False)
        raise Refused(
            f"合并失败，未做任何改动 (the merge failed; nothing changed): {r.stderr.strip() or r.stdout.strip()}"
        )
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    return sha, message
