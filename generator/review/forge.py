"""Read the forge's record of a pull request (gh's JSON shape) into typed values, or say what is wrong."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..diagnostics import DektError

# What the workflow's adapter asks gh for; changedFiles lets a truncated file list be noticed.
GH_FIELDS = (
    "number,title,author,createdAt,files,reviews,labels,comments,commits,headRefOid,baseRefName,state,changedFiles"
)
GH_FILE_CAP = 100  # gh pr view --json files lists at most this many (cli/cli#5368)
# The timeline events the decision reads (GraphQL PullRequestTimelineItemsItemType), added by the adapter.
TIMELINE_TYPES = {"LabeledEvent": "labeled", "UnlabeledEvent": "unlabeled", "ReviewDismissedEvent": "dismissed"}


class BadPullRequest(DektError):
    """The pull-request record cannot be read or lacks a field the decision needs."""


def login_key(login: str | None) -> str:
    """The login as GitHub compares it (case-insensitive); "" for a deleted account or an app, which match nobody.

    gh prints ``""`` for a review or comment whose author was deleted, ``app/<name>`` for an app as a pull
    request's author, and GitHub's own placeholder for deleted users is ``ghost``.
    """
    if not login or "/" in login or login.lower() == "ghost":
        return ""
    return login.lower()


class Review(NamedTuple):
    """One submitted review: who, which state, when, on which commit."""

    login: str
    state: str
    at: datetime
    oid: str | None

    @property
    def key(self) -> str:
        return login_key(self.login)


class Comment(NamedTuple):
    """One conversation comment."""

    login: str
    body: str
    at: datetime

    @property
    def key(self) -> str:
        return login_key(self.login)


class Event(NamedTuple):
    """One timeline event: a label added or removed, or a review dismissed (with the state it had)."""

    kind: str  # "labeled", "unlabeled" or "dismissed"
    at: datetime
    actor: str
    label: str | None = None
    previous_state: str | None = None
    review_author: str | None = None


class PullRequest(NamedTuple):
    """The fields the decision uses; reviews, comments and events sorted by time."""

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
    commit_authors: set[str]  # login keys of every commit's authors ("" left out: an author with no account)
    timeline: list[Event] | None  # None: the record has no timeline, so objections cannot be known

    @property
    def author_key(self) -> str:
        return login_key(self.author)


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

    def login(self, obj: object, path: str, key: str = "author") -> str:
        person = self.get(obj, key, path + key, dict, optional=True)  # null for deleted accounts
        return self.get(person, "login", f"{path}{key}.login", str) if person else "ghost"

    def when(self, obj: object, key: str, path: str) -> datetime:
        return parse_time(self.get(obj, key, path + key, str), f"{self.source}: {path}{key}")


_KINDS = {str: "文本", int: "整数", list: "列表", dict: "对象"}


def _reviews(rd: _Reader, pr: dict) -> list[Review]:
    out = []
    for i, r in enumerate(rd.get(pr, "reviews", "reviews", list)):
        at = f"reviews[{i}]."
        state = rd.get(r, "state", at + "state", str)
        if state == "PENDING" and r.get("submittedAt") is None:
            continue  # a draft review only its author sees (it shows up when dekt runs with that person's token)
        commit = rd.get(r, "commit", at + "commit", dict, optional=True)  # null for a review with no commit
        oid = rd.get(commit, "oid", at + "commit.oid", str) if commit else None
        out.append(Review(rd.login(r, at), state, rd.when(r, "submittedAt", at), oid or None))
    return out


def _commit_authors(rd: _Reader, pr: dict) -> set[str]:
    keys = set()
    for i, c in enumerate(rd.get(pr, "commits", "commits", list)):
        for j, a in enumerate(rd.get(c, "authors", f"commits[{i}].authors", list, optional=True) or []):
            login = rd.get(a, "login", f"commits[{i}].authors[{j}].login", str, optional=True)
            keys.add(login_key(login))
    return keys - {""}


def _timeline(rd: _Reader, pr: dict) -> list[Event] | None:
    nodes = rd.get(pr, "timelineItems", "timelineItems", list, optional=True)
    if nodes is None:
        return None
    events = []
    for i, n in enumerate(nodes):
        at = f"timelineItems[{i}]."
        kind = TIMELINE_TYPES.get(rd.get(n, "__typename", at + "__typename", str))
        if kind is None:
            continue  # another event type: the decision does not read it
        event = Event(kind, rd.when(n, "createdAt", at), rd.login(n, at, "actor"))
        if kind == "dismissed":
            review = rd.get(n, "review", at + "review", dict, optional=True)  # null when the review was deleted
            author = rd.login(review, at + "review.") if review else "ghost"
            event = event._replace(
                previous_state=rd.get(n, "previousReviewState", at + "previousReviewState", str), review_author=author
            )
        else:
            event = event._replace(label=rd.get(rd.get(n, "label", at + "label", dict), "name", at + "label.name", str))
        events.append(event)
    return sorted(events, key=lambda e: e.at)


def read_pr(pr: object, source: str = "PR.json") -> PullRequest:
    """Check and read a pull request's JSON (as ``gh pr view --json`` prints it); BadPullRequest if unusable."""
    rd = _Reader(source)
    if not isinstance(pr, dict):
        raise BadPullRequest(
            f"{source}: 应为 JSON 对象，即 gh pr view --json 的输出"
            " (expected a JSON object, as gh pr view --json prints)"
        )
    state = rd.get(pr, "state", "state", str)
    if state not in ("OPEN", "MERGED", "CLOSED"):
        raise BadPullRequest(
            f"{source}: 字段 state 应为 OPEN、MERGED 或 CLOSED，而不是 {state} (state must be OPEN, MERGED or CLOSED)"
        )
    comments = [
        Comment(
            rd.login(c, f"comments[{i}]."),
            rd.get(c, "body", f"comments[{i}].body", str),
            rd.when(c, "createdAt", f"comments[{i}]."),
        )
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
        labels={
            rd.get(lb, "name", f"labels[{i}].name", str) for i, lb in enumerate(rd.get(pr, "labels", "labels", list))
        },
        reviews=sorted(_reviews(rd, pr), key=lambda r: r.at),
        comments=sorted(comments, key=lambda c: c.at),
        content_ids=ids,
        commit_authors=_commit_authors(rd, pr),
        timeline=_timeline(rd, pr),
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
