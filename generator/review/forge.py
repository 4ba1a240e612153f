"""Read the forge's record of a pull request (gh's JSON shape) into typed values, or say what is wrong."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..diagnostics import DektError

# What the workflow's adapter asks gh for; changedFiles lets a truncated file list be noticed.
GH_FIELDS = "number,author,createdAt,files,reviews,labels,comments,commits,headRefOid,state,changedFiles"
GH_FILE_CAP = 100  # gh pr view --json files lists at most this many (cli/cli#5368)


class BadPullRequest(DektError):
    """The pull-request record cannot be read or lacks a field the decision needs."""


class Review(NamedTuple):
    """One review: who, which state, when, on which commit."""

    login: str
    state: str
    at: datetime
    oid: str | None


class Comment(NamedTuple):
    """One conversation comment."""

    login: str
    body: str
    at: datetime


class PullRequest(NamedTuple):
    """The fields the decision uses; reviews and comments sorted by time."""

    number: int
    author: str
    state: str
    created: datetime
    head: str
    files: list[str]
    changed_files: int | None
    labels: set[str]
    reviews: list[Review]
    comments: list[Comment]
    content_ids: dict[str, str]


def parse_time(text: object, where: str) -> datetime:
    """An ISO-8601 time with ``Z`` or an offset, as an aware datetime."""
    try:
        value = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadPullRequest(f"{where}: 不是带时区的 ISO-8601 时间：{text!r} (not an ISO-8601 time with a zone)")
    return value


class _Reader:
    """Field access that names the JSON path of whatever is missing."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get(self, obj: object, key: str, path: str, kind: type, optional: bool = False):
        value = obj.get(key) if isinstance(obj, dict) else None
        if value is None and optional:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadPullRequest(
                f"{self.source}: 字段 {path} 缺失或类型不对，应为 {_KINDS[kind]}"
                f" (field {path} is missing or not {kind.__name__})"
            )
        return value

    def login(self, obj: object, path: str) -> str:
        person = self.get(obj, "author", path + "author", dict, optional=True)  # null for deleted accounts
        return self.get(person, "login", path + "author.login", str) if person else "ghost"

    def when(self, obj: object, key: str, path: str) -> datetime:
        return parse_time(self.get(obj, key, path + key, str), f"{self.source}: {path}{key}")


_KINDS = {str: "文本", int: "整数", list: "列表", dict: "对象"}


def read_pr(pr: object, source: str = "PR.json") -> PullRequest:
    """Check and read a pull request's JSON (as ``gh pr view --json`` prints it); BadPullRequest if unusable."""
    rd = _Reader(source)
    if not isinstance(pr, dict):
        raise BadPullRequest(f"{source}: 应为 JSON 对象，即 gh pr view --json 的输出 (expected a JSON object, as gh pr view --json prints)")
    state = rd.get(pr, "state", "state", str)
    if state not in ("OPEN", "MERGED", "CLOSED"):
        raise BadPullRequest(f"{source}: 字段 state 应为 OPEN、MERGED 或 CLOSED，而不是 {state} (state must be OPEN, MERGED or CLOSED)")
    reviews = []
    for i, r in enumerate(rd.get(pr, "reviews", "reviews", list)):
        at = f"reviews[{i}]."
        commit = rd.get(r, "commit", at + "commit", dict, optional=True)  # null for a review with no commit
        oid = rd.get(commit, "oid", at + "commit.oid", str) if commit else None
        reviews.append(Review(rd.login(r, at), rd.get(r, "state", at + "state", str), rd.when(r, "submittedAt", at), oid))
    comments = [
        Comment(rd.login(c, f"comments[{i}]."), rd.get(c, "body", f"comments[{i}].body", str), rd.when(c, "createdAt", f"comments[{i}]."))
        for i, c in enumerate(rd.get(pr, "comments", "comments", list))
    ]
    ids = rd.get(pr, "contentIds", "contentIds", dict, optional=True) or {}
    for oid in ids:
        rd.get(ids, oid, f"contentIds.{oid}", str)
    return PullRequest(
        number=rd.get(pr, "number", "number", int),
        author=rd.login(pr, ""),
        state=state,
        created=rd.when(pr, "createdAt", ""),
        head=rd.get(pr, "headRefOid", "headRefOid", str),
        files=[rd.get(f, "path", f"files[{i}].path", str) for i, f in enumerate(rd.get(pr, "files", "files", list))],
        changed_files=rd.get(pr, "changedFiles", "changedFiles", int, optional=True),
        labels={rd.get(lb, "name", f"labels[{i}].name", str) for i, lb in enumerate(rd.get(pr, "labels", "labels", list))},
        reviews=sorted(reviews, key=lambda r: r.at),
        comments=sorted(comments, key=lambda c: c.at),
        content_ids=ids,
    )


def load_pr(path: str) -> dict:
    """Read a pull request's JSON from a file (``-``: standard input); a syntax error names its line:col."""
    source = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadPullRequest(f"{source}: 无法读取 (cannot read): {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadPullRequest(f"{source}:{exc.lineno}:{exc.colno}: 不是有效的 JSON (not valid JSON): {exc.msg}") from exc
