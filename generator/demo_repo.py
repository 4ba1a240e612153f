"""A demo Git repository that shows the whole workflow: merged batches, and one batch on public notice.

The claims of a school (by default this repository's demo school) are grouped into batches the way a
department secretary submits them: one per academic year, department and registration window. Each batch
becomes a branch commit by the department's secretary and, after the department review, the public
notice (working days from the calendar) and the academic-affairs approval, a merge commit on ``main`` that
carries the review record as trailers. The latest batch stays open: its branch exists, and the
pull-request record the forge would report (approved by the department, on notice) is written beside the
repository with the moment the demo is set at, so that ``dekt build --prs … --now …`` shows it on notice.

The history is signed as ``dekt.custody`` requires: ``rules/allowed_signers`` in the first commit (the trust root)
lists a throwaway demo key made at demo time (``ssh-keygen -t ed25519``, no passphrase), and every commit of
``main``'s first-parent history (the root and each batch's merge) carries an SSH signature made with it; the
secretaries' branch commits stay unsigned, as on a forge. The key is left in ``.dekt-demo/`` so that a tester can
certify a new batch by hand (``dekt merge --pr … --key …``). The same source gives the same files, messages and
dates; only the key and its signatures differ from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .custody import ALLOWED_SIGNERS
from .diagnostics import DektError
from .provenance import merge_message
from .records import load_records
from .rules import Rules, load_rules

STATE_DIR = ".dekt-demo"  # beside the repository's files, excluded from Git: what the forge would report
DEMO_KEY = "demo-signing-key"  # the throwaway demo key's file in STATE_DIR (its public half beside it, .pub)
KEY_COMMENT = "THROWAWAY-DEMO-KEY-made-by-dekt-demo-never-use-for-real-records"
CARRIED = ("rules", "site", ".github", "records/students.csv")  # the repository before the first batch


@dataclass
class _Batch:
    year: str
    department: str
    period: str
    files: list[str] = field(default_factory=list)
    registered: date = date.min
    submitted: datetime | None = None
    approved: datetime | None = None
    notice: tuple[date, date] | None = None
    merged: datetime | None = None
    number: int = 0


@dataclass(frozen=True)
class DemoRepo:
    """Where the demo repository is, the pull-request record of its open batch, and the demo's moment."""

    root: Path
    prs: Path
    now: datetime
    key: Path | None = None  # the throwaway demo key that signed the history


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz)


def _next_working(rules: Rules, day: date) -> date:
    while not rules.is_working_day(day):
        day += timedelta(days=1)
    return day


def _batches(source: Path, rules: Rules) -> list[_Batch]:
    records = load_records(source, use_cache=False)
    if records.problems:
        raise DektError(
            f"源仓库有 {len(records.problems)} 个问题，请先运行 dekt validate"
            " (the source has problems; run dekt validate)"
        )
    groups: dict[tuple, _Batch] = {}
    for file, result in records.files.items():
        year, dept = file.split("/")[2:4]
        first = result.entries[0] if result.entries else None
        version = rules.version_for(year)
        module = (
            version.rules.categories[first.category].module
            if first and first.category in version.rules.categories
            else ""
        )
        window = rules.window_for(first.date, module) if first else None
        key = (year, dept, window.period if window else "corrections")
        batch = groups.setdefault(key, _Batch(*key))
        batch.files.append(file)
        batch.registered = max([batch.registered] + [e.registered for e in result.entries])
    return list(groups.values())


def _schedule(batches: list[_Batch], rules: Rules, tz: ZoneInfo) -> tuple[_Batch, datetime]:
    """Give every batch its review dates; keep the last one open, on notice at the returned moment."""
    days = rules.school.notice.working_days

    def review(batch: _Batch, submitted: date) -> None:
        submitted = _next_working(rules, submitted)
        approved = rules.add_working_days(submitted, 1)
        start, end = rules.add_working_days(approved, 1), rules.add_working_days(approved, days)
        batch.submitted, batch.approved = _at(submitted, 9, 30, tz), _at(approved, 10, 0, tz)
        batch.notice = (start, end)
        batch.merged = _at(rules.add_working_days(end, 1), 15, 0, tz)

    for batch in batches:
        review(batch, batch.registered + timedelta(days=1))
    batches.sort(key=lambda b: (b.submitted, b.department, b.period))
    for number, batch in enumerate(batches, start=1):
        batch.number = number
    open_batch = batches[-1]
    review(open_batch, max([b.merged.date() for b in batches[:-1]] + [open_batch.registered]) + timedelta(days=1))
    now = _at(rules.add_working_days(open_batch.notice[0], 2), 10, 0, tz)
    return open_batch, now


def _stamp(moment: datetime) -> bytes:
    return (
        b"%d +0800" % int(moment.timestamp())
        if moment.utcoffset() == timedelta(hours=8)
        else b"%d +0000" % int(moment.timestamp())
    )


class _Stream:
    """A ``git fast-import`` stream: blobs by path, then commits that reference them by mark."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.blobs: dict[str, int] = {}

    def blob(self, rel: str, data: bytes) -> None:
        self.mark += 1
        self.blobs[rel] = self.mark
        self.parts += [b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)), data, b"\n"]

    def commit(self, ref: str, who: str, when: datetime, message: str, files: list[str], parents: list[int]) -> int:
        self.mark += 1
        msg = message.encode()
        ident = f"{who} <{who}@demo.invalid> ".encode() + _stamp(when)
        self.parts += [b"commit %s\nmark :%d\n" % (ref.encode(), self.mark), b"author " + ident + b"\n",
                       b"committer " + ident + b"\n", b"data %d\n" % len(msg), msg, b"\n"]  # fmt: skip
        if parents:
            self.parts.append(b"from :%d\n" % parents[0])
        self.parts += [b"merge :%d\n" % p for p in parents[1:]]
        self.parts += [b"M 100644 :%d %s\n" % (self.blobs[f], f.encode()) for f in files]
        self.parts.append(b"\n")
        return self.mark


def _carried_files(source: Path) -> list[str]:
    out = []
    for item in CARRIED:
        path = source / item
        if path.is_file():
            out.append(item)
        elif path.is_dir():
            out += sorted(
                p.relative_to(source).as_posix()
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".dekt-cache" not in p.parts
            )
    return out


def _pr_record(batch: _Batch, rules: Rules, head: str, title: str) -> dict:
    """The open batch as ``gh pr view --json …`` reports it: approved by the department, on notice."""
    dept = rules.school.departments[batch.department]
    iso = lambda moment: moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "number": batch.number, "title": title, "state": "OPEN", "baseRefName": "main", "headRefOid": head,
        "author": {"login": dept.secretaries[0] if dept.secretaries else "secretary"},
        "createdAt": iso(batch.submitted), "changedFiles": len(batch.files),
        "files": [{"path": f, "additions": 0, "deletions": 0} for f in batch.files],
        "commits": [{"oid": head, "committedDate": iso(batch.submitted)}],
        "reviews": [{"author": {"login": dept.reviewers[0]}, "state": "APPROVED", "submittedAt": iso(batch.approved),
                     "body": "已核对证明材料，同意报送公示。", "commit": {"oid": head}}],
        "labels": [], "comments": [],
    }  # fmt: skip


def _title(batch: _Batch, rules: Rules) -> str:
    dept = rules.school.departments[batch.department].name
    period = batch.period if batch.period.count("-") == 1 else f"{batch.period[:9]} 第{batch.period[-1]}学期"
    return f"{dept} {period} 第二课堂申报"


def _demo_key(state: Path) -> Path:
    """A fresh ed25519 key without a passphrase, marked as the demo's throwaway key in its comment."""
    key = state / DEMO_KEY
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", KEY_COMMENT, "-f", str(key)], check=True)
    return key


def _allowed_signers(principal: str, key: Path) -> bytes:
    """``rules/allowed_signers`` for the demo: its throwaway key alone, said so in a comment."""
    return (
        "# 演示用一次性密钥：由 dekt demo 当场生成，私钥在 .dekt-demo/ 中，切勿用于真实档案。\n"
        "# THROWAWAY DEMO KEY made by `dekt demo`; its private half is in .dekt-demo/. Never use it for real records.\n"
        f"{principal} {key.with_suffix('.pub').read_text(encoding='ascii').strip()}\n"
    ).encode()


def _sign(payload: bytes, key: Path) -> bytes:
    """An SSH signature of a commit's payload in Git's namespace, as ``git commit -S`` with gpg.format=ssh makes it."""
    r = subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(key)], input=payload, capture_output=True, check=False
    )
    if r.returncode != 0:
        raise DektError(
            f"演示密钥签名失败 (signing with the demo key failed): {r.stderr.decode(errors='replace').strip()}"
        )
    return r.stdout


def _with_signature(payload: bytes, armored: bytes) -> bytes:
    """The commit object with a ``gpgsig`` header at the end of its header, continuation lines indented by one space
    (where and how Git's ``do_sign_commit`` puts it)."""
    header, sep, body = payload.partition(b"\n\n")
    lines = armored.rstrip(b"\n").split(b"\n")
    return header + b"\ngpgsig " + b"\n ".join(lines) + sep + body


def sign_history(root: Path, refs: list[str], key: Path) -> None:
    """Rewrite the unsigned history fast-import wrote: every first-parent commit of ``refs[0]`` signed with ``key``.

    Commits are rewritten oldest first (a parent's new id goes into its children), each id computed as Git does
    (SHA-1 of ``commit <size>\\0`` and the object) and checked against the one ``git hash-object -w`` stores."""
    listing = subprocess.run(["git", "rev-list", "--topo-order", "--reverse", "--parents", *refs], cwd=root,
                             capture_output=True, text=True, check=True).stdout.split("\n")  # fmt: skip
    order = [line.split() for line in listing if line]
    main = set(
        subprocess.run(
            ["git", "rev-list", "--first-parent", refs[0]], cwd=root, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    raw = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input="".join(f"{c[0]}\n" for c in order).encode(),
                         capture_output=True, check=True).stdout  # fmt: skip
    new: dict[str, str] = {}
    objects: list[bytes] = []
    pos = 0
    for sha, *parents in order:
        end = raw.index(b"\n", pos)
        size = int(raw[pos:end].split()[2])
        obj = raw[end + 1 : end + 1 + size]
        pos = end + 2 + size
        for p in parents:  # the parent lines, in order, right after the tree line
            obj = obj.replace(b"\nparent %s\n" % p.encode(), b"\nparent %s\n" % new[p].encode(), 1)
        if sha in main:
            obj = _with_signature(obj, _sign(obj, key))
        new[sha] = hashlib.sha1(b"commit %d\0" % len(obj) + obj).hexdigest()
        objects.append(obj)
    with tempfile.TemporaryDirectory(prefix="dekt-demo-commits-") as tmp:
        paths = []
        for i, obj in enumerate(objects):
            paths.append(Path(tmp) / f"{i}")
            paths[-1].write_bytes(obj)
        listing = "".join(f"{p}\n" for p in paths)
        cmd = ["git", "hash-object", "-t", "commit", "-w", "--stdin-paths"]
        stored = subprocess.run(cmd, cwd=root, input=listing, capture_output=True, text=True, check=True).stdout.split()
    if stored != [new[c[0]] for c in order]:
        raise DektError("演示历史签名后提交号不一致 (the signed demo history's commit ids do not match)")
    for ref in refs:
        old = subprocess.run(
            ["git", "rev-parse", ref], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        subprocess.run(["git", "update-ref", ref, new[old], old], cwd=root, check=True)


def lay_out(source: Path, out: Path) -> DemoRepo:
    """Write the demo repository into ``out`` (replacing it) from the repository at ``source``."""
    rules, problems = load_rules(source)
    if rules is None:
        raise DektError(
            "源仓库的规则无法加载，请先运行 dekt validate (the source rules do not load; run dekt validate)"
        )
    tz = ZoneInfo(rules.school.timezone)
    batches = _batches(source, rules)
    if len(batches) < 2:
        raise DektError("演示需要至少两批申报 (the demo needs at least two batches of claims)")
    open_batch, now = _schedule(batches, rules, tz)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    state = out / STATE_DIR
    state.mkdir()
    (out / ".git" / "info" / "exclude").write_text(f"{STATE_DIR}/\n.dekt-cache/\n_build/\n")
    key = _demo_key(state)
    aa = rules.school.academic_affairs.reviewers[0]
    stream = _Stream()
    carried = [f for f in _carried_files(source) if f != ALLOWED_SIGNERS]
    for rel in carried + sorted(f for b in batches for f in b.files):
        stream.blob(rel, (source / rel).read_bytes())
    stream.blob(ALLOWED_SIGNERS, _allowed_signers(f"{aa}@demo.invalid", key))
    carried = sorted([*carried, ALLOWED_SIGNERS])
    start = min(b.submitted for b in batches) - timedelta(days=30)
    main = stream.commit("refs/heads/main", aa, start, "建立第二课堂成绩单仓库：规则、名册与站点\n", carried, [])
    for batch in batches[:-1]:
        dept = rules.school.departments[batch.department]
        secretary = dept.secretaries[0] if dept.secretaries else "secretary"
        title = _title(batch, rules)
        branch = stream.commit("refs/heads/main", secretary, batch.submitted, f"{title}\n", batch.files, [main])
        notice = f"{batch.notice[0]}..{batch.notice[1]}"
        message = merge_message(title, batch.number, secretary, [dept.reviewers[0]], [aa], notice)
        main = stream.commit("refs/heads/main", aa, batch.merged, message, batch.files, [main, branch])
    dept = rules.school.departments[open_batch.department]
    title = _title(open_batch, rules)
    stream.commit(f"refs/heads/batch-{open_batch.number}", dept.secretaries[0] if dept.secretaries else "secretary",
                  open_batch.submitted, f"{title}\n", open_batch.files, [main])  # fmt: skip
    subprocess.run(["git", "fast-import", "--quiet"], cwd=out, input=b"".join(stream.parts), check=True)
    sign_history(out, ["refs/heads/main", f"refs/heads/batch-{open_batch.number}"], key)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=out, check=True)
    head = subprocess.run(
        ["git", "rev-parse", f"batch-{open_batch.number}"], cwd=out, capture_output=True, text=True, check=True
    ).stdout.strip()
    prs = state / "prs.json"
    prs.write_text(
        json.dumps([_pr_record(open_batch, rules, head, title)], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (state / "now").write_text(now.isoformat() + "\n", encoding="utf-8")
    return DemoRepo(out, prs, now, key)
